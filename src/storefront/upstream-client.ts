import type { CheckoutClient } from '../checkout/contract';
import { checkoutClientFor } from '../checkout/from-env';

/**
 * The storefront's outbound client: its least-privilege credential (`CHECKOUT_STOREFRONT_SECRET_KEY`, or
 * OAuth with the storefront's scopes), behind the account-wide governor. The governor gate is the
 * isolate's shared one, so leased slots serve many requests per governor round trip; each lease is made
 * from a waiting caller's own request context (src/ratelimit/rate-gate.ts), which workerd requires.
 */
export function storefrontClient(env: Env): CheckoutClient {
  return checkoutClientFor(env, 'storefront');
}
