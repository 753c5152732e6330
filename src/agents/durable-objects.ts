/** The agent gateway's Durable Object classes, exported by the Worker entry (wrangler.toml binds them). */
export { AgentObject } from './agent-do';
export { AuditIndex } from './audit-index-do';
export { AgentDirectory } from './directory-do';
