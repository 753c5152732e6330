import type { Attempt } from '../model/attempts';
import { ANONYMOUS_CHAIN, type EntryInput } from '../model/audit-entry';
import { withObjectDeadline } from '../model/deadlines';
import type { FinishRequest } from '../objects/agent/rpc';
import { agentObject } from '../objects/stubs';
import type { CallContext } from './call';
import { mayPark, park } from './outcome-relay';

/** The fields of a refusal no agent could be named for. */
export type AnonymousFields = Pick<EntryInput, 'method' | 'reason'>;

/**
 * Counts, after the answer, a call no agent could be named for (no key, a malformed one, or a
 * well-formed one naming no agent) in the `anonymous` chain's attempts of its source and minute
 * (`objects/agent/attempt-windows.ts`): one entry per source and minute, not one per call. One retry covers an
 * object reset.
 */
export function recordAnonymous(ctx: CallContext, fields: AnonymousFields): Promise<void> {
  const attempt: Attempt = {
    atMs: ctx.startedMs,
    source: ctx.source,
    reason: fields.reason === 'agent_key_missing' ? 'agent_key_missing' : 'agent_key_invalid',
    keyShape:
      ctx.presented === 'missing' ? 'none' : ctx.presented === 'malformed' ? 'malformed' : 'unknown_agent',
    channel: ctx.channel,
    method: fields.method,
    requestId: ctx.requestId,
  };
  return ctx.after('audit: anonymous call', () =>
    twice(() =>
      withObjectDeadline(
        agentObject(ctx.env, ANONYMOUS_CHAIN).recordAttempt(ANONYMOUS_CHAIN, attempt),
        'the audit log',
      ),
    ),
  );
}

/**
 * Appends a started call's outcome after its answer (`waitUntil`), without delaying it. If the Worker
 * stops first, the start stays `unrecorded` and the agent's sweep marks it (docs/agents.md). An outcome
 * nobody waits on is parked first (outcome-relay.ts): the agent's next call from this isolate carries it
 * on its `begin`, and only one that no call carried is sent with `finish`.
 *
 * An outcome that gives a hold back (upstream answered 4xx, or failed for certain) is appended before the
 * answer instead: the agent may act on that answer at once, and its next call must find the allowance
 * already returned, not be refused a cap it has not spent. Those outcomes are the rare ones, so the
 * common path keeps its single round trip.
 */
export async function finishCall(ctx: CallContext, agentId: string, request: FinishRequest): Promise<void> {
  const append = () =>
    twice(() => withObjectDeadline(agentObject(ctx.env, agentId).finish(request), 'the audit log'));
  if (request.release === null)
    return ctx.after('audit: outcome', async () => {
      const carried = ctx.deferred && mayPark(request) && (await park(agentId, request));
      if (!carried) await append();
    });
  try {
    await append();
  } catch (err) {
    // The answer still goes out; the start stays unrecorded and keeps its hold (fail-closed on caps).
    ctx.log.warn('agent bookkeeping failed', { what: 'audit: outcome', error: err });
  }
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
