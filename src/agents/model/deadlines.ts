import { BollardError } from '../../http';
import { withTimeout } from '../../http/timeout';

/**
 * The bound on one round trip to an agent's Durable Object (or the directory, or the audit index). Every
 * await on one goes through `withObjectDeadline`: a caller never waits without a bound (design.md, "Failure
 * semantics").
 */
export const OBJECT_DEADLINE_MS = 5_000;

/**
 * A round trip that did not answer in time. On the call path it is raised before anything was sent
 * upstream, so it is a 503 that means "nothing happened": retry.
 */
export function objectUnavailable(what: string, cause?: unknown): BollardError {
  return new BollardError('upstream_unavailable', {
    codes: ['agent_state_unavailable'],
    message: `Bollard could not reach ${what} in time; nothing was sent to Checkout.com, retry the call`,
    retryAfter: 1,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** `work` within `ms` (default `OBJECT_DEADLINE_MS`), else `objectUnavailable(what)`; any failure is one too. */
export async function withObjectDeadline<T>(
  work: Promise<T>,
  what: string,
  ms: number = OBJECT_DEADLINE_MS,
): Promise<T> {
  try {
    return await withTimeout(work, ms, () => objectUnavailable(what));
  } catch (err) {
    if (err instanceof BollardError) throw err;
    throw objectUnavailable(what, err);
  }
}
