import type { CheckoutClient } from '../checkout/contract';
import { checkoutClientFor } from '../checkout/from-env';

/**
 * The outbound client for the agents surface: the account-wide governor, OAuth or the secret key,
 * retries and idempotency all live behind `checkoutClientFor`.
 *
 * `oauthScopes` (with `CHECKOUT_AUTH=oauth`): the minimal scopes of the calling agent's grants (known once
 * `begin` authenticated it), so the token is requested with what those grants need and no more.
 *
 * Used by the gateway (the call itself) and by the agent's object (the money lookup `begin` may make), so it
 * sits at the top of src/agents rather than in gateway/: the gateway depends on the objects, never the
 * other way round.
 */
export function agentsClient(env: Env, oauthScopes: readonly string[]): CheckoutClient {
  return checkoutClientFor(env, 'agents', oauthScopes.length ? { oauthScopes } : {});
}
