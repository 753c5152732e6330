import type { AgentObject } from '../agents/agent-do';
import type { AuditIndex } from '../agents/audit-index-do';

/** The proof area's Durable Object stubs (one module per area makes them): the global audit index. */
export function auditIndex(env: Env): DurableObjectStub<AuditIndex> {
  return env.AUDIT_INDEX.getByName('global');
}

/** A chain's own object: the agent's (named by its id), or `anonymous`. */
export function chainObject(env: Env, chain: string): DurableObjectStub<AgentObject> {
  return env.AGENT.getByName(chain);
}
