/** Small readers of Bollard's vars, shared by the doctor's checks. */

/** The effective auth mode; `null` for a value Bollard refuses (`CHECKOUT_AUTH` other than the two). */
export function authMode(env: Env): 'secret_key' | 'oauth' | null {
  const mode = env.CHECKOUT_AUTH || 'secret_key';
  return mode === 'secret_key' || mode === 'oauth' ? mode : null;
}

/** Comma-separated list entries, trimmed, empties dropped. */
export function listVar(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** Development: Bollard calls the local simulator (`CHECKOUT_API_BASE` on a loopback host), as `npm start` does. */
export function isDevelopment(env: Env): boolean {
  try {
    return isLoopbackHost(new URL(env.CHECKOUT_API_BASE).hostname);
  } catch {
    return false;
  }
}
