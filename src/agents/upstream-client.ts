import type { CheckoutClient } from '../checkout/contract';
import { checkoutClientFor } from '../checkout/from-env';

/**
 * The outbound client for the agents surface: governor, OAuth, retries and idempotency all live behind
 * `checkoutClientFor`. With `CHECKOUT_AUTH=oauth`, the token for this surface should be requested with
 * `agentUpstreamScopes(env)` (src/agents/registry.ts): the union of the minimal scopes of the active grants.
 */
export function agentsClient(env: Env): CheckoutClient {
  return checkoutClientFor(env, 'agents');
}
