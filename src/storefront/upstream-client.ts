import type { CheckoutClient } from '../checkout/contract';
import { checkoutClientFor } from '../checkout/from-env';
import { GOVERNOR_NAME, LeasedRateGate } from '../ratelimit';

/**
 * The storefront's outbound client: its least-privilege credential (`CHECKOUT_STOREFRONT_SECRET_KEY`, or
 * OAuth with the storefront's scopes), behind the account-wide governor.
 *
 * The governor gate is built per request (no prefetch), as the agents surface does
 * (`src/agents/upstream-client.ts`): the isolate-wide gate wakes one request's waiters from another
 * request's governor call, and under concurrency workerd cancels the woken requests as hung (measured
 * here: about half of 64 concurrent `POST /v1/payment-sessions` answered 500). One governor round trip
 * per call keeps each request's I/O its own. Switch back to the default once the shared gate is
 * request-safe.
 */
export function storefrontClient(env: Env): CheckoutClient {
  const gate = new LeasedRateGate({
    governor: () => env.RATE_GOVERNOR.getByName(GOVERNOR_NAME),
    prefetch: 0,
  });
  return checkoutClientFor(env, 'storefront', { gate });
}
