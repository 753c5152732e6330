import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one request's upstream calls cost, observed where they happen (the outbound client) and read by
 * the metrics middleware. Kept in `AsyncLocalStorage` because the client and the rate gate are shared by
 * every request of an isolate: a timing must land on the request whose async context awaited it.
 */
export interface UpstreamObservation {
  /** Attempts sent to Checkout.com (retries included). */
  attempts: number;
  /** The last attempt's HTTP status; null when it got no answer (cut, timed out); undefined: none sent. */
  lastStatus?: number | null;
  /** Time spent waiting for the account-wide rate governor, summed over attempts. */
  governorWaitMs: number;
}

const observations = new AsyncLocalStorage<UpstreamObservation>();

/** Runs `work` with a fresh observation; resolves with its result and what its upstream calls cost. */
export async function observeUpstream<T>(work: () => Promise<T>): Promise<[T, UpstreamObservation]> {
  const seen: UpstreamObservation = { attempts: 0, governorWaitMs: 0 };
  const result = await observations.run(seen, work);
  return [result, seen];
}

/** The outbound client waited `ms` for its slot (a no-op outside an observed request). */
export function noteGovernorWait(ms: number): void {
  const seen = observations.getStore();
  if (seen && ms > 0) seen.governorWaitMs += ms;
}

/** The outbound client sent an attempt: its status, or null when no answer came. */
export function noteUpstreamAnswer(status: number | null): void {
  const seen = observations.getStore();
  if (!seen) return;
  seen.attempts++;
  seen.lastStatus = status;
}
