import { withObjectDeadline } from '../model/deadlines';
import { agentDirectory } from '../objects/stubs';

/**
 * The union of the minimal OAuth scopes over every active agent's grants (catalog-derived): what one
 * credential for the whole agents surface would need. Each call itself requests only its own agent's
 * grants' scopes (`executeAgentCall`). Empty when no agent is active.
 */
export async function agentUpstreamScopes(env: Env): Promise<string[]> {
  return withObjectDeadline(agentDirectory(env).upstreamScopes(Date.now()), 'the agent directory');
}
