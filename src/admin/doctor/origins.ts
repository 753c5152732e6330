import { isLoopbackHost, listVar } from './env-vars';
import { type DoctorCheck, fail, pass } from './types';

/** Why one `STOREFRONT_ORIGINS` entry is not a usable origin, or null when it is one. */
export function originProblem(entry: string): string | null {
  if (entry.includes('*')) return 'a wildcard (list each origin)';
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'not http(s)';
  if (url.username || url.password) return 'carries credentials';
  // `https://shop.example/` is the origin with an empty path; anything longer is a path.
  if (url.pathname !== '/' || url.search || url.hash) return 'has a path (an origin is scheme://host[:port])';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'plain http (only loopback may be)';
  return null;
}

/**
 * `STOREFRONT_ORIGINS` decides which pages may call the storefront and where shoppers may be redirected:
 * every entry must be an exact origin, https except loopback, and the list must not be empty while
 * browsers are meant to use the storefront (a public key is configured, or the demo is on).
 */
export function originsCheck(env: Env): DoctorCheck {
  const entries = listVar(env.STOREFRONT_ORIGINS);
  const enabled = Boolean(env.CHECKOUT_PUBLIC_KEY) || env.DEMO_ENABLED === 'true';
  const bad = entries
    .map((e) => ({ e, problem: originProblem(e) }))
    .filter((x): x is { e: string; problem: string } => x.problem !== null);
  if (bad.length > 0) {
    return fail(
      'storefront_origins',
      bad.map((b) => `"${b.e}": ${b.problem}`).join('; '),
      'list exact origins, comma-separated, e.g. STOREFRONT_ORIGINS="https://shop.example.com,https://www.shop.example.com"',
    );
  }
  if (entries.length === 0) {
    if (!enabled)
      return pass(
        'storefront_origins',
        'empty: no browser may call the storefront (no public key, demo off)',
      );
    return fail(
      'storefront_origins',
      'empty, but the storefront is in use (CHECKOUT_PUBLIC_KEY is set or DEMO_ENABLED=true): every browser call is refused',
      'set STOREFRONT_ORIGINS to the shop’s origins, e.g. "https://shop.example.com"',
    );
  }
  const loopback = entries.filter((e) => isLoopbackHost(new URL(e).hostname)).length;
  return pass(
    'storefront_origins',
    `${entries.length} origin${entries.length === 1 ? '' : 's'}, all exact${loopback > 0 ? ` (${loopback} loopback, for development)` : ', all https'}`,
  );
}
