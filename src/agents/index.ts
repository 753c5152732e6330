import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { mountGateway } from './gateway-routes';
import { mountMcp } from './mcp-routes';

export { agentUpstreamScopes } from './registry';

/**
 * Mounts the agent gateway: `/agent/v1/*` and `/agent/mcp`. `/admin/agents*` and `/admin/audit*` are
 * served by the lazily loaded operator module (src/operator).
 */
export function mountAgents(app: Hono<AppEnv>): void {
  mountMcp(app);
  mountGateway(app);
}
