import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { mountAgentAdmin } from './admin-routes';
import { mountGateway } from './gateway-routes';
import { mountMcp } from './mcp-routes';

export { agentUpstreamScopes } from './registry';

/** Mounts the agent gateway: `/agent/v1/*`, `/agent/mcp`, `/admin/agents*` and `/admin/audit*`. */
export function mountAgents(app: Hono<AppEnv>): void {
  mountAgentAdmin(app);
  mountMcp(app);
  mountGateway(app);
}
