import type { AgentObject } from './agent-do';
import type { FinishRequest } from './agent-rpc';
import { ANONYMOUS_CHAIN, type EntryInput } from './audit-entry';
import type { CallContext } from './call';
import { withObjectDeadline } from './deadlines';

/** An agent's object (named by its id), or the `anonymous` chain's. */
export function agentObject(env: Env, chain: string): DurableObjectStub<AgentObject> {
  return env.AGENT.getByName(chain);
}

/** The fields of a complete refusal no agent could be named for. */
export type AnonymousFields = Pick<EntryInput, 'method' | 'reason'>;

/**
 * Records, after the answer, a call no agent could be named for (no key, a malformed one, or a
 * well-formed one naming no agent) in the `anonymous` chain. One retry covers an object reset.
 */
export function recordAnonymous(ctx: CallContext, fields: AnonymousFields): Promise<void> {
  const input: EntryInput = {
    kind: 'call',
    call_seq: null,
    at_ms: ctx.startedMs,
    agent_id: null,
    agent_name: null,
    channel: ctx.channel,
    method: fields.method,
    path_template: null,
    entry: null,
    area: null,
    access: null,
    decision: 'denied',
    reason: fields.reason,
    upstream_status: null,
    latency_ms: Math.max(0, Date.now() - ctx.startedMs),
    request_id: ctx.requestId,
    upstream_request_id: null,
    idempotency_key: null,
    amount: null,
    currency: null,
  };
  return ctx.after('audit: anonymous call', () =>
    twice(() =>
      withObjectDeadline(
        agentObject(ctx.env, ANONYMOUS_CHAIN).record(ANONYMOUS_CHAIN, input),
        'the audit log',
      ),
    ),
  );
}

/**
 * Appends a started call's outcome after its answer (`waitUntil`), without delaying it. If the Worker
 * stops first, the start stays `unrecorded` and the agent's sweep marks it (docs/agents.md).
 */
export function finishCall(ctx: CallContext, agentId: string, request: FinishRequest): Promise<void> {
  return ctx.after('audit: outcome', () =>
    twice(() => withObjectDeadline(agentObject(ctx.env, agentId).finish(request), 'the audit log')),
  );
}

/** After a `begin` whose answer was lost: end its start (if any) as not sent, and give back what it reserved. */
export function abandonCall(ctx: CallContext, agentId: string): Promise<void> {
  return ctx.after('audit: abandoned start', () =>
    withObjectDeadline(agentObject(ctx.env, agentId).abandon(ctx.requestId, Date.now()), 'the audit log'),
  );
}

async function twice(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch {
    await work();
  }
}
