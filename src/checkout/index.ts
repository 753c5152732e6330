export { upstreamFetch } from '../http/upstream-fetch';
export {
  createCheckoutClient,
  DEFAULT_DEADLINE_MS,
  DEFAULT_TIMEOUT_MS,
  resolveEntry,
  usesPublicKey,
} from './client';
export type * from './contract';
export {
  CheckoutConfigError,
  type CheckoutConfigErrorCode,
  CheckoutError,
  type CheckoutErrorDetails,
  checkoutErrorFromResponse,
  codeForStatus,
  isCheckoutError,
} from './errors';
export { clientEntryByName, EXTRA_ENTRIES } from './extra-entries';
export { type ClientExtras, checkoutClientFor, type Surface } from './from-env';
export { baseForHost, type CheckoutEnvironment, parseBaseUrl } from './hosts';
export { IDEMPOTENCY_HEADER, idempotencyKeyFor, mayRetry } from './idempotency';
export { type PaginateOptions, paginate } from './paging';
export { backoffCeiling, backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry';
export { type CheckoutApi, checkoutApi, type Typed, type TypedCallOptions } from './typed';
export type * from './types';
