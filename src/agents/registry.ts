import type { AgentRegistry } from './registry-do';

/** The one registry instance: the source of truth for agents, keys, grants and daily spend. */
export function agentRegistry(env: Env): DurableObjectStub<AgentRegistry> {
  return env.AGENT_REGISTRY.getByName('global');
}

/**
 * The union of the minimal OAuth scopes over every active agent's grants (catalog-derived): what
 * Bollard's upstream credential for the agents surface should be requested with — for the OAuth
 * token source behind `checkoutClientFor(env, 'agents')`. Empty when no agent is active.
 */
export async function agentUpstreamScopes(env: Env): Promise<string[]> {
  return agentRegistry(env).upstreamScopes(Date.now());
}
