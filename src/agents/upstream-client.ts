import type { CheckoutClient } from '../checkout/contract';
import { checkoutClientFor } from '../checkout/from-env';

/**
 * The outbound client for the agents surface: the account-wide governor, OAuth or the secret key,
 * retries and idempotency all live behind `checkoutClientFor`.
 *
 * `oauthScopes` (with `CHECKOUT_AUTH=oauth`): the union of the minimal scopes of every active agent's grants
 * (the registry's `upstreamScopes`, returned with each authentication; also `agentUpstreamScopes(env)`), so
 * the token is requested with what the current grants need and no more.
 */
export function agentsClient(env: Env, oauthScopes: readonly string[]): CheckoutClient {
  return checkoutClientFor(env, 'agents', oauthScopes.length ? { oauthScopes } : {});
}
