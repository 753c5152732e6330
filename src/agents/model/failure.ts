import type { CatalogEntry } from '../../catalog';
import { CheckoutError, isCheckoutError } from '../../checkout/errors';
import { BollardError, isBollardError } from '../../http';

/** What an error thrown on the way upstream means for the caller's answer, the audit and the day's spend. */
export interface Failure {
  /** The error answered, in the one error shape. */
  error: BollardError;
  /**
   * A write may have taken effect and Bollard cannot say whether it did: the answer is `504
   * upstream_outcome_unknown` with the key to retry with, and the amount stays counted.
   */
  unknown: boolean;
  /** The last status Checkout.com answered, when one arrived. */
  upstreamStatus: number | null;
  upstreamRequestId: string | null;
  /** The key the call was sent with (or would have been), to return to the caller. */
  idempotencyKey: string | null;
  /** Not one of Bollard's errors: worth a log line (without its details reaching the caller). */
  unexpected: boolean;
}

export interface FailureContext {
  entry: CatalogEntry;
  key: string | null;
  /** True for the call itself when it is a write; false for a read, or a lookup made before sending. */
  mayHaveActed: boolean;
}

/**
 * Classifies what the outbound client threw. By its contract a write that may have been processed upstream
 * always ends in `outcome_unknown`, and every other `BollardError` means nothing was done upstream (shed
 * by the rate gate, deadline passed before sending, configuration, a read that failed). An error outside
 * that contract cannot be told apart from a lost answer, so for a write it is an unknown outcome too —
 * never "nothing happened".
 */
export function describeFailure(err: unknown, context: FailureContext): Failure {
  if (isCheckoutError(err)) {
    return {
      error: err,
      unknown: err.code === 'outcome_unknown',
      upstreamStatus: err.upstreamStatus,
      upstreamRequestId: err.requestId,
      // The caller's own key, never the agent-scoped one it was sent upstream as.
      idempotencyKey: context.key ?? err.idempotencyKey,
      unexpected: false,
    };
  }
  if (isBollardError(err)) {
    return {
      error: err,
      unknown: false,
      upstreamStatus: null,
      upstreamRequestId: null,
      idempotencyKey: context.key ?? err.idempotencyKeyHeader ?? null,
      unexpected: false,
    };
  }
  const error = context.mayHaveActed
    ? new CheckoutError('outcome_unknown', {
        entry: context.entry,
        upstreamStatus: null,
        requestId: null,
        errorType: null,
        errorCodes: [],
        attempts: 1,
        idempotencyKey: context.key,
        cause: err,
      })
    : new BollardError('upstream_error', {
        codes: ['upstream_unreachable'],
        message: 'Checkout.com could not be reached',
        cause: err,
      });
  return {
    error,
    unknown: context.mayHaveActed,
    upstreamStatus: null,
    upstreamRequestId: null,
    idempotencyKey: context.key,
    unexpected: true,
  };
}
