import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { mountAgentAdmin } from './admin-routes';
import { badKeyLimit } from './bad-key-limit';
import { mountGateway } from './gateway-routes';
import { mountMcp } from './mcp-routes';
import { registerAgentStorageProbe } from './storage-probe';

export { agentUpstreamScopes } from './registry';

/**
 * Mounts the agent gateway: `/agent/v1/*`, `/agent/mcp` (both behind the per-source bad-key limit),
 * `/admin/agents*` and `/admin/audit*`; and reports the agents' objects on `GET /admin/status`.
 */
export function mountAgents(app: Hono<AppEnv>): void {
  registerAgentStorageProbe();
  mountAgentAdmin(app);
  app.use('/agent/v1/*', badKeyLimit());
  app.use('/agent/mcp', badKeyLimit());
  mountMcp(app);
  mountGateway(app);
}
