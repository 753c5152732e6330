/** One HTTP attempt against Checkout.com, bounded by a per-attempt timeout and the caller's signal. */

export interface AttemptRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
}

export type AttemptOutcome =
  | {
      kind: 'response';
      status: number;
      headers: Headers;
      /** Parsed JSON; null for an empty or unparsable body. */
      body: unknown;
      /** True when a non-empty body was not JSON. */
      malformed: boolean;
    }
  | { kind: 'network_error'; cause: unknown }
  | { kind: 'timeout' };

class AttemptTimeout extends Error {
  constructor() {
    super('attempt timed out');
    this.name = 'AttemptTimeout';
  }
}

/**
 * Sends one request and reads its whole body under the same deadline, so a server that sends headers
 * and then stalls counts as a timeout too. A caller's abort is not an outcome: it rethrows the caller's
 * reason, and nothing is retried after it.
 */
export async function sendAttempt(
  fetchFn: typeof fetch,
  request: AttemptRequest,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<AttemptOutcome> {
  callerSignal?.throwIfAborted();
  const controller = new AbortController();
  // Made only when the timer fires: an Error captures a stack, which every attempt would pay for otherwise.
  let timeout: AttemptTimeout | null = null;
  let rejectAbort: (reason: unknown) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    rejectAbort = reject;
  });
  // Keeps an unobserved rejection from surfacing when the attempt finishes first.
  aborted.catch(() => {});
  const onCallerAbort = () => {
    controller.abort(callerSignal?.reason);
    rejectAbort(callerSignal?.reason);
  };
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(() => {
    timeout = new AttemptTimeout();
    controller.abort(timeout);
    rejectAbort(timeout);
  }, timeoutMs);
  try {
    const res = await Promise.race([
      fetchFn(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
        redirect: 'manual',
      }),
      aborted,
    ]);
    const text = await Promise.race([res.text(), aborted]);
    let body: unknown = null;
    let malformed = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        malformed = true;
      }
    }
    return { kind: 'response', status: res.status, headers: res.headers, body, malformed };
  } catch (err) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timeout !== null && (err === timeout || controller.signal.reason === timeout))
      return { kind: 'timeout' };
    return { kind: 'network_error', cause: err };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Waits `ms` with the injected sleep, or rejects with the caller's reason as soon as it aborts. */
export async function sleepUnlessAborted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return sleep(ms);
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
