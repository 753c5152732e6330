import type { AgentObject } from './agent/agent-object';
import type { AuditIndex } from './audit-index';
import type { AgentDirectory } from './directory';

/**
 * The one place that names the agents' Durable Objects (design.md, "one stubs module per area"): everything
 * else, the objects themselves included, reaches them through these. A stub is cheap to make; each call on
 * one is a round trip, bounded by the caller with `withObjectDeadline`.
 */

/** An agent's object (named by its id), or the `anonymous` chain's. */
export function agentObject(env: Env, chain: string): DurableObjectStub<AgentObject> {
  return env.AGENT.getByName(chain);
}

/** The directory of agents: the listing and the union of upstream scopes (never a call's source of truth). */
export function agentDirectory(env: Env): DurableObjectStub<AgentDirectory> {
  return env.AGENT_DIRECTORY.getByName('global');
}

/** The global audit index: every chain's entries as forwarded, for queries, export and verification. */
export function auditIndex(env: Env): DurableObjectStub<AuditIndex> {
  return env.AUDIT_INDEX.getByName('global');
}
