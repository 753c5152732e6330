import type { CheckoutClient } from '../checkout/contract';
import { checkoutClientFor } from '../checkout/from-env';
import { GOVERNOR_NAME, LeasedRateGate } from '../ratelimit';

/**
 * The outbound client for the agents surface: the account-wide governor, OAuth or the secret key,
 * retries and idempotency all live behind `checkoutClientFor`.
 *
 * The gate is built per request (no prefetch: one governor lease per upstream attempt) instead of the
 * isolate-wide gate: that one resolves one request's waiters from another request's governor call, and
 * in workerd the woken request then runs in the other request's I/O context — its next Durable Object
 * call (the audit append) fails with "Cannot perform I/O on behalf of a different request", and under
 * concurrency requests hang. Per-request leasing costs one governor round trip per call but keeps
 * every request's I/O its own. Switch back to the default once the shared gate is request-safe.
 *
 * `oauthScopes` (with `CHECKOUT_AUTH=oauth`): the union of the minimal scopes of every active agent's grants
 * (the registry's `upstreamScopes`, returned with each authentication; also `agentUpstreamScopes(env)`), so
 * the token is requested with what the current grants need and no more.
 */
export function agentsClient(env: Env, oauthScopes: readonly string[]): CheckoutClient {
  const gate = new LeasedRateGate({
    governor: () => env.RATE_GOVERNOR.getByName(GOVERNOR_NAME),
    prefetch: 0,
  });
  return checkoutClientFor(env, 'agents', { gate, ...(oauthScopes.length ? { oauthScopes } : {}) });
}
