import type { CatalogEntry } from '../catalog';
import type { AttemptOutcome } from './attempt';
import { readErrorBody } from './errors';

/**
 * What one attempt tells Bollard about a call's outcome. The distinction that matters for money: an
 * attempt that *may have been processed* upstream (a cut connection, a timeout, a 5xx, a 2xx whose body
 * never arrived whole, or the in-flight refusal of our own key) leaves a write's outcome unknown until a
 * later attempt with the same idempotency key says what happened.
 */
export type AttemptVerdict =
  /** A 2xx with the body the call answers, or a definitive non-2xx (4xx other than throttling). */
  | { kind: 'final' }
  /** Not processed upstream (throttled, 401 to refresh): safe to try again, nothing happened. */
  | { kind: 'not_processed' }
  /** Our own key is still being processed by an earlier attempt: wait and ask again with it. */
  | { kind: 'in_flight' }
  /** May or may not have been processed. */
  | { kind: 'ambiguous'; reason: 'network_error' | 'timeout' | 'server_error' | 'bad_body' };

/**
 * Calls that answer a 2xx with no body (Checkout.com's 204s). Every other 2xx must carry a JSON object
 * (or array): an empty or cut body means the answer was lost on the way, not that there is none.
 */
const ANSWERS_WITHOUT_BODY = new Set([
  'acceptDispute',
  'provideDisputeEvidence',
  'submitDisputeEvidence',
  'updateCustomer',
  'deleteCustomer',
  'deleteInstrument',
  'deleteWorkflow',
]);

/** Whether a 2xx attempt carried what the call answers. */
export function isCompleteSuccess(
  entry: CatalogEntry,
  outcome: Extract<AttemptOutcome, { kind: 'response' }>,
): boolean {
  if (outcome.malformed) return false;
  if (outcome.status === 204 || ANSWERS_WITHOUT_BODY.has(entry.name)) return true;
  return typeof outcome.body === 'object' && outcome.body !== null;
}

/**
 * Checkout.com refuses a repeat of a key whose first request is still running: `429` (or `409`) with
 * `idempotency_key_in_use` (facts §5). For the key's own sender that is not an answer, only "not yet".
 */
export function isInFlightRefusal(status: number, body: unknown, keyed: boolean): boolean {
  if (!keyed || (status !== 429 && status !== 409)) return false;
  return readErrorBody(body).errorCodes.includes('idempotency_key_in_use');
}

/** Classifies one attempt (401 handling and retry budgets stay with the caller). */
export function judgeAttempt(entry: CatalogEntry, outcome: AttemptOutcome, keyed: boolean): AttemptVerdict {
  if (outcome.kind !== 'response') return { kind: 'ambiguous', reason: outcome.kind };
  const { status } = outcome;
  if (status >= 200 && status <= 299) {
    return isCompleteSuccess(entry, outcome) ? { kind: 'final' } : { kind: 'ambiguous', reason: 'bad_body' };
  }
  if (isInFlightRefusal(status, outcome.body, keyed)) return { kind: 'in_flight' };
  if (status === 429) return { kind: 'not_processed' };
  if (status >= 500) return { kind: 'ambiguous', reason: 'server_error' };
  return { kind: 'final' };
}
