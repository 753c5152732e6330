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
   * when the wait would exceed the gate's bound, before anything is sent upstream.
   */
  acquire(access: Access, signal?: AbortSignal): Promise<void>;
  /** The upstream answered 429: lower the budget for a while (adaptive). */
  reportThrottled(access: Access, retryAfterSeconds: number | undefined): void;
}
