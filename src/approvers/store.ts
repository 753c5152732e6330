import { BollardError } from '../http';
import { withTimeout } from '../http/timeout';

/** The bound on one round trip to the `Approvers` object. */
const APPROVERS_DEADLINE_MS = 5_000;

function unavailable(cause?: unknown): BollardError {
  return new BollardError('upstream_unavailable', {
    codes: ['approvers_unavailable'],
    message: 'Bollard could not reach its approvers’ store in time: try again',
    retryAfter: 1,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** `work` within the deadline; a timeout or any failure of the round trip is a 503. */
export async function withApproversDeadline<T>(work: Promise<T>): Promise<T> {
  try {
    return await withTimeout(work, APPROVERS_DEADLINE_MS, () => unavailable());
  } catch (err) {
    if (err instanceof BollardError) throw err;
    throw unavailable(err);
  }
}
