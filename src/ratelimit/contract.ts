// What this folder offers the outbound client (src/checkout/contract.ts re-exports it): declared here, so
// the client depends on the governor's gate and never the other way round.
import type { Access } from '../catalog';

/**
 * Admission control in front of every upstream call. The outbound client (`src/checkout/`) takes one:
 * `LeasedRateGate` (rate-gate.ts), in front of the account-wide governor. Absent means "no smoothing".
 */
export interface RateGate {
  /**
   * Resolves when the call may be sent. Rejects with a `BollardError('too_many_requests', { retryAfter })`
   * when the wait would exceed the gate's bound, before anything is sent upstream. The admission it may
   * resolve with is told when the request leaves and when its answer arrives.
   */
  acquire(access: Access, signal?: AbortSignal): Promise<Admission | undefined>;
  /** The upstream answered 429: lower the budget for a while (adaptive). */
  reportThrottled(access: Access, retryAfterSeconds: number | undefined): void;
}

/**
 * One admitted call. The upstream counts a call somewhere between its send and its answer, so the gate
 * counts a permit's use from both: a use's window starts at `sent()` (not at admission: a token fetch in
 * between no longer eats the margin), and the permit admits nothing else until a second after `ended()`
 * (however late the call reached the upstream, it was counted before it was answered).
 */
export interface Admission {
  /** The request is handed to `fetch` now. */
  sent(): void;
  /** Its answer, or its failure, arrived now (a no-op unless `sent()` was called). */
  ended(): void;
}
