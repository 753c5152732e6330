import { minimalScopes } from '../../catalog';
import type { UpstreamResponse } from '../../checkout/contract';
import { upstreamTiming } from '../../checkout/from-env';
import { OBJECT_DEADLINE_MS, withObjectDeadline } from '../model/deadlines';
import { describeFailure } from '../model/failure';
import { invalidKeyMessage, isValidIdempotencyKey, keyForCall, upstreamKeyFor } from '../model/idempotency';
import { hashAgentKey, type PresentedKey } from '../model/keys';
import { moneyInBody, needsLookup } from '../model/money';
import { allowedEntries } from '../model/policy';
import { createdObject, mayReadForScope, objectFacts } from '../model/scope';
import type { Decision, DecisionReason } from '../model/types';
import {
  type BeginResult,
  type PlainFailure,
  type PreRefusalReason,
  plainFailure,
  upstreamResponse,
} from '../objects/agent/rpc';
import { agentObject } from '../objects/stubs';
import type { AuditRef, CallProof } from '../proof/receipt-claims';
import { approvalAnswer, awaitRunning, executionAnswer } from './approval-answers';
import { abandonCall, finishCall, recordAnonymous } from './audit-writes';
import { type AgentCall, type CallContext, type CallOutcome, errorBody, objectFailed } from './call';
import { carriedRequests, settleCarried, takeParked } from './outcome-relay';

/** Refusals that are about the request's shape rather than the agent's permissions. */
const INVALID_REQUEST = new Set<DecisionReason>(['idempotency_key_invalid', 'idempotency_key_reused']);

const KEY_MESSAGES: Partial<Record<DecisionReason, string>> = {
  agent_key_missing: 'an agent key is required (Authorization: Bearer <agent key>)',
  agent_key_invalid: 'the agent key is not valid',
  agent_key_expired: 'the agent key has expired',
};

/** A 401 in Checkout.com's shape; a revoked, rotated-away, unknown or malformed key all look the same. */
function unauthenticated(ctx: CallContext, reason: DecisionReason): CallOutcome {
  return {
    kind: 'refused',
    status: 401,
    reason,
    error: errorBody(ctx.requestId, 'unauthorized', [reason], KEY_MESSAGES[reason]),
    headers: { 'www-authenticate': 'Bearer realm="bollard-agents"' },
    idempotencyKey: null,
    upstreamRequestId: null,
  };
}

/** The caller's answer for a failure: the error's own status and shape, the key, the upstream id. */
function failedOutcome(requestId: string, failure: PlainFailure): CallOutcome {
  const outcome: CallOutcome = {
    kind: 'failed',
    status: failure.status,
    unknown: failure.unknown,
    error: errorBody(requestId, failure.errorType, failure.codes, failure.message),
    idempotencyKey: failure.idempotencyKey,
    upstreamRequestId: failure.upstreamRequestId,
  };
  if (failure.retryAfter !== null) outcome.retryAfter = failure.retryAfter;
  return outcome;
}

/** What a recorded call's receipt states (`CallOutcome.proof`). */
function proofOf(
  agentId: string,
  audit: AuditRef,
  decision: Decision,
  reason: DecisionReason,
  upstreamStatus: number | null,
): CallProof {
  return { agent_id: agentId, decision, reason, upstream_status: upstreamStatus, audit };
}

/**
 * The whole pipeline for one call, shared by `/agent/v1` and MCP. The Worker checks what it can alone
 * (key shape, route, body, idempotency key), then makes **one** round trip to the agent's object
 * (`begin`: authenticate, apply the Worker's refusal, grant, limits and spend reservation under the
 * call's key, `start` entry), sends the call upstream, answers, and appends the outcome after the answer
 * (`finishCall`, `waitUntil`). A refusal costs no upstream call. Every call ends up in a chain.
 */
export async function executeAgentCall(
  ctx: CallContext,
  presented: PresentedKey,
  call: AgentCall,
): Promise<CallOutcome> {
  if (presented.kind !== 'key') {
    const reason = presented.kind === 'missing' ? 'agent_key_missing' : 'agent_key_invalid';
    await recordAnonymous(ctx, { method: call.method, reason });
    return unauthenticated(ctx, reason);
  }
  const { entry } = call;
  const given = call.idempotencyKey;
  const validGiven = given !== undefined && isValidIdempotencyKey(given) ? given : null;
  // An invalid key is neither recorded nor echoed: it could be anything, a pasted secret included.
  let refusal = call.refusal ?? null;
  if (!refusal && given !== undefined && validGiven === null)
    refusal = {
      reason: 'idempotency_key_invalid',
      status: 422,
      errorType: 'request_invalid',
      message: invalidKeyMessage(ctx.channel),
    };
  const routeRefused = refusal !== null && refusal.reason !== 'idempotency_key_invalid';
  const money = entry && !routeRefused ? moneyInBody(entry, call.body) : { amount: null, currency: null };
  const key = entry && !refusal ? keyForCall(entry, validGiven ?? undefined) : null;
  const params = call.params ?? {};
  // A limited agent's capture or refund may need the payment read first, inside the same round trip; so
  // may an ownership check (object scope: a dispute's payment, an object created by a lost call).
  const lookupMs =
    entry && !refusal && (needsLookup(entry, params, money) || mayReadForScope(entry))
      ? upstreamTiming(ctx.env, 'agents').deadlineMs
      : 0;

  // The agent's outcomes parked in this isolate ride on this round trip (outcome-relay.ts).
  const carried = takeParked(presented.agentId);
  let begun: BeginResult;
  try {
    begun = await withObjectDeadline<BeginResult>(
      agentObject(ctx.env, presented.agentId).begin({
        ...(carried.items.length ? { outcomes: carriedRequests(carried) } : {}),
        keyHash: await hashAgentKey(presented.key),
        requestId: ctx.requestId,
        channel: ctx.channel,
        atMs: ctx.startedMs,
        method: call.method,
        source: ctx.source,
        entry: entry?.name ?? null,
        params,
        refusal: (refusal?.reason as PreRefusalReason | undefined) ?? null,
        givenKey: validGiven,
        key,
        money,
        // Approvals bind the body (the hash is taken in the agent's object, only when an approval is involved).
        ...(entry?.access === 'write' && call.body !== undefined && !refusal ? { body: call.body } : {}),
        ...(entry && !refusal ? { object: objectFacts(entry, call.body, call.query) } : {}),
      }),
      "the agent's state",
      OBJECT_DEADLINE_MS + lookupMs,
    );
    settleCarried(carried, true);
  } catch (err) {
    // The carried outcomes go back to their own requests, which send them (twice is harmless).
    settleCarried(carried, false);
    // Nothing was sent upstream: a 503 that says so. A start the object may still have made is closed.
    await abandonCall(ctx, presented.agentId);
    ctx.log.warn('agent begin failed', { error: err });
    return objectFailed(ctx, err, validGiven);
  }

  if (begun.kind !== 'unknown_agent') ctx.identify(presented.agentId);
  switch (begun.kind) {
    case 'unknown_agent':
      await recordAnonymous(ctx, { method: call.method, reason: 'agent_key_invalid' });
      return unauthenticated(ctx, 'agent_key_invalid');
    case 'unauthenticated':
      return unauthenticated(ctx, begun.reason);
    case 'refused': {
      const proof = proofOf(presented.agentId, begun.audit, 'denied', begun.reason, null);
      if (refusal && begun.reason === refusal.reason)
        return {
          kind: 'refused',
          status: refusal.status,
          reason: refusal.reason,
          error: errorBody(ctx.requestId, refusal.errorType, [refusal.reason], refusal.message),
          ...(refusal.headers ? { headers: refusal.headers } : {}),
          idempotencyKey: null,
          upstreamRequestId: null,
          proof,
        };
      const invalid = INVALID_REQUEST.has(begun.reason);
      return {
        kind: 'refused',
        status: invalid ? 422 : 403,
        reason: begun.reason,
        error: errorBody(
          ctx.requestId,
          invalid ? 'request_invalid' : 'permission_denied',
          [begun.reason],
          begun.message,
        ),
        idempotencyKey: validGiven,
        upstreamRequestId: null,
        proof,
      };
    }
    case 'answered':
      return {
        kind: 'answered',
        response: upstreamResponse(begun.response),
        proof: proofOf(presented.agentId, begun.audit, 'allowed', 'allowed', begun.response.status),
      };
    case 'failed':
      return {
        ...failedOutcome(ctx.requestId, begun.failure),
        proof: proofOf(
          presented.agentId,
          begun.audit,
          'failed',
          'upstream_failed',
          begun.failure.upstreamStatus,
        ),
      };
    case 'started':
      break;
    // ── approvals (approval-answers.ts) ──
    case 'approval_required':
    case 'approval_refused':
    case 'replayed':
      return approvalAnswer(ctx, begun);
    case 'approval_running':
      if (!entry || validGiven === null)
        throw new TypeError('an approval runs only for a keyed catalog call');
      return awaitRunning(ctx, presented.agentId, entry, begun.approvalId, validGiven);
  }

  if (!entry) throw new TypeError('a started call has an entry');
  const { agent, seq, amount, currency, approvalId } = begun;
  ctx.upstreamScopes = minimalScopes(allowedEntries(agent.grants));
  const finish = (
    fields: Pick<
      Parameters<typeof finishCall>[2],
      'decision' | 'reason' | 'upstreamStatus' | 'upstreamRequestId' | 'idempotencyKey' | 'created'
    >,
    release: boolean,
    answer: UpstreamResponse | null = null,
  ) => {
    const now = Date.now();
    return finishCall(ctx, agent.id, {
      seq,
      atMs: now,
      latencyMs: Math.max(0, now - ctx.startedMs),
      amount,
      currency,
      ...fields,
      release: release ? begun.hold : null,
      // Approvals: an approved call's execution sends back what a re-send replays.
      ...(approvalId !== null
        ? { approval: { approvalId, response: answer && executionAnswer(answer, key) } }
        : {}),
    });
  };

  let response: UpstreamResponse;
  try {
    response = await ctx.client().send(entry, {
      params,
      ...(call.query ? { query: call.query } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
      ...(key !== null ? { idempotencyKey: await upstreamKeyFor(agent.id, key) } : {}),
    });
  } catch (err) {
    const failure = describeFailure(err, { entry, key, mayHaveActed: entry.access === 'write' });
    if (failure.unexpected)
      ctx.log.error('agent call failed', { error: failure.error.cause, entry: entry.name });
    // An unknown outcome stays counted until a retry with its key says what happened.
    const reason = failure.unknown ? 'outcome_unknown' : 'upstream_failed';
    await finish(
      {
        decision: 'failed',
        reason,
        upstreamStatus: failure.upstreamStatus,
        upstreamRequestId: failure.upstreamRequestId,
        idempotencyKey: failure.idempotencyKey,
      },
      !failure.unknown,
    );
    return {
      ...failedOutcome(ctx.requestId, plainFailure(failure)),
      proof: proofOf(agent.id, begun.audit, 'failed', reason, failure.upstreamStatus),
    };
  }
  // A 4xx means nothing moved (a retry with the same key included: upstream would have replayed a
  // success), so the day's allowance is given back. A 2xx keeps it.
  // Upstream 401 is about Bollard's own credential, not the agent's key: passing it through would tell
  // the agent (or its SDK) that its key is bad. It becomes a 502, as the outbound client's `call` does.
  const credentialRejected = response.status === 401;
  const decision: Decision = response.status >= 500 || credentialRejected ? 'failed' : 'allowed';
  const reason: DecisionReason = decision === 'failed' ? 'upstream_failed' : 'allowed';
  const proof = proofOf(agent.id, begun.audit, decision, reason, response.status);
  await finish(
    {
      decision,
      reason,
      upstreamStatus: response.status,
      upstreamRequestId: response.requestId,
      idempotencyKey: key,
      // Object scope (issue 18): what a creating call made is the agent's from its answer.
      created: createdObject(entry, response.status, response.body),
    },
    response.status >= 400 && response.status < 500,
    response,
  );
  if (credentialRejected)
    return {
      kind: 'failed',
      status: 502,
      unknown: false,
      error: errorBody(
        ctx.requestId,
        'upstream_error',
        ['upstream_credential_rejected'],
        "Checkout.com rejected Bollard's credential",
      ),
      idempotencyKey: key,
      upstreamRequestId: response.requestId,
      proof,
    };
  // The caller sees its own key, not the agent-scoped form it was sent upstream as.
  return { kind: 'answered', response: { ...response, idempotencyKey: key }, proof };
}
