import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { badKeyLimit } from './bad-key-limit';
import { mountGateway } from './gateway-routes';
import { mountMcp } from './mcp-routes';

export { agentUpstreamScopes } from './registry';

/**
 * Mounts the agent gateway: `/agent/v1/*` and `/agent/mcp` (both behind the per-source bad-key limit).
 * `/admin/agents*`, `/admin/audit*` and the agents' objects on `GET /admin/status` are served by the lazily
 * loaded operator module (src/operator).
 */
export function mountAgents(app: Hono<AppEnv>): void {
  app.use('/agent/v1/*', badKeyLimit());
  app.use('/agent/mcp', badKeyLimit());
  mountMcp(app);
  mountGateway(app);
}
