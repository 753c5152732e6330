import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { mountApprovalStatus } from './gateway/approval-status';
import { badKeyLimit } from './gateway/bad-key-limit';
import { mountMcp } from './gateway/mcp/routes';
import { mountGateway } from './gateway/routes';

/** The agent gateway's Durable Object classes, exported by the Worker entry (wrangler.toml binds them). */
export { AgentObject } from './objects/agent/agent-object';
export { AuditIndex } from './objects/audit-index';
export { AgentDirectory } from './objects/directory';

/**
 * Mounts the agent gateway: `/agent/v1/*` and `/agent/mcp` (both behind the per-source bad-key limit).
 * `/admin/agents*`, `/admin/audit*` and the agents' objects on `GET /admin/status` are served by the lazily
 * loaded operator module (src/operator), which imports `admin/` itself: re-exported from here, the admin
 * routes' input schemas would be evaluated, and so bundled, in the main module (+1.6 KB minified).
 */
export function mountAgents(app: Hono<AppEnv>): void {
  app.use('/agent/v1/*', badKeyLimit());
  app.use('/agent/mcp', badKeyLimit());
  mountMcp(app);
  // Before the catalog's catch-all: `GET /agent/v1/approvals/{id}` is Bollard's own (docs/agents.md, "Approvals").
  mountApprovalStatus(app);
  mountGateway(app);
}
