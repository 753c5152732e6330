import type { UpstreamResponse } from '../checkout/contract';
import {
  type AgentCall,
  type AuditBase,
  type CallContext,
  type CallOutcome,
  entryFields,
  errorBody,
  record,
} from './call';
import { describeFailure, type Failure } from './failure';
import {
  holdScope,
  invalidKeyMessage,
  isValidIdempotencyKey,
  keyForCall,
  upstreamKeyFor,
} from './idempotency';
import { moneyInBody, resolveMoney } from './money';
import { grantAllows, hasMoneyLimits } from './policy';
import { agentRegistry } from './registry';
import type { AuthenticatedAgent } from './registry-do';
import type { SpendHold } from './spend-ledger';
import type { Decision, DecisionReason } from './types';

/** Refusals that are about the request's shape rather than the agent's permissions. */
const INVALID_REQUEST = new Set<DecisionReason>(['idempotency_key_invalid', 'idempotency_key_reused']);

/**
 * The policy-and-forward half of the pipeline, after authentication and matching: key check → grant →
 * limits (money-moving entries: currency, per call, per day atomically in the registry, reserved under
 * the call's idempotency key) → forward through the outbound client → settle the reservation → record.
 * A refusal costs no upstream call. Every path through here appends exactly one audit record before
 * returning.
 */
export async function executeAgentCall(
  ctx: CallContext,
  agent: AuthenticatedAgent,
  call: AgentCall,
): Promise<CallOutcome> {
  const { entry } = call;
  const given = call.idempotencyKey;
  const validGiven = given !== undefined && isValidIdempotencyKey(given) ? given : null;
  // An invalid key is neither recorded nor echoed: it could be anything, a pasted secret included.
  const base: AuditBase = {
    agent_id: agent.id,
    agent_name: agent.name,
    method: entry.method,
    ...entryFields(entry),
    idempotency_key: validGiven,
  };
  const bodyMoney = moneyInBody(entry, call.body);
  let amount = bodyMoney.amount;
  let currency = bodyMoney.currency;

  const refuse = async (reason: DecisionReason, message: string): Promise<CallOutcome> => {
    await record(ctx, {
      ...base,
      decision: 'denied',
      reason,
      upstream_status: null,
      upstream_request_id: null,
      amount,
      currency,
    });
    const invalid = INVALID_REQUEST.has(reason);
    return {
      kind: 'refused',
      status: invalid ? 422 : 403,
      reason,
      error: errorBody(ctx.requestId, invalid ? 'request_invalid' : 'permission_denied', [reason], message),
      idempotencyKey: validGiven,
      upstreamRequestId: null,
    };
  };
  const fail = async (failure: Failure): Promise<CallOutcome> => {
    if (failure.unexpected)
      ctx.log.error('agent call failed', { error: failure.error.cause, entry: entry.name });
    await record(ctx, {
      ...base,
      decision: 'failed',
      reason: failure.unknown ? 'outcome_unknown' : 'upstream_failed',
      upstream_status: failure.upstreamStatus,
      upstream_request_id: failure.upstreamRequestId,
      idempotency_key: failure.idempotencyKey,
      amount,
      currency,
    });
    return failedOutcome(ctx.requestId, failure);
  };

  if (given !== undefined && validGiven === null)
    return refuse('idempotency_key_invalid', invalidKeyMessage(ctx.channel));
  if (!grantAllows(agent.grants, entry)) {
    return refuse(
      'grant_required',
      `${entry.name} (${entry.method} ${entry.path}) needs the ${entry.access} grant on the ${entry.area} area`,
    );
  }
  const key = keyForCall(entry, validGiven ?? undefined);

  let hold: SpendHold | null = null;
  if (entry.movesMoney && hasMoneyLimits(agent.limits)) {
    let resolved: Awaited<ReturnType<typeof resolveMoney>>;
    try {
      resolved = await resolveMoney(entry, call.params, bodyMoney, ctx.client());
    } catch (err) {
      // The lookup is a read made before anything was sent: nothing can have moved.
      return fail(describeFailure(err, { entry, key: validGiven, mayHaveActed: false }));
    }
    if (resolved.kind === 'upstream') {
      await record(ctx, {
        ...base,
        decision: 'allowed',
        reason: 'allowed',
        upstream_status: resolved.response.status,
        upstream_request_id: resolved.response.requestId,
        amount,
        currency,
      });
      return { kind: 'answered', response: resolved.response };
    }
    if (resolved.kind === 'unknown')
      return refuse(
        'amount_required',
        `${entry.name}: this agent has amount limits, so the amount and currency must be known`,
      );
    amount = resolved.money.amount;
    currency = resolved.money.currency;
    // Every money-moving write is keyed (`keyForCall`); the hold needs that key to survive a retry.
    if (key === null) throw new TypeError(`${entry.name} moves money but has no idempotency key`);
    const wanted: SpendHold = { key, scope: holdScope(entry, call.params) };
    const check = await agentRegistry(ctx.env).reserveSpend(
      agent.id,
      entry.name,
      resolved.money,
      Date.now(),
      wanted,
    );
    if (!check.ok) return refuse(check.reason, check.message);
    hold = wanted;
  }
  // From here on, the key is the one sent: record and return it whatever happens.
  base.idempotency_key = key;
  const release = async () => {
    if (hold) await agentRegistry(ctx.env).releaseSpend(agent.id, hold);
  };

  let response: UpstreamResponse;
  try {
    response = await ctx.client().send(entry, {
      params: call.params,
      ...(call.query ? { query: call.query } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
      ...(key !== null ? { idempotencyKey: await upstreamKeyFor(agent.id, key) } : {}),
    });
  } catch (err) {
    const failure = describeFailure(err, { entry, key, mayHaveActed: entry.access === 'write' });
    // An unknown outcome stays counted until a retry with its key says what happened.
    if (!failure.unknown) await release();
    return fail(failure);
  }
  // A 4xx means nothing moved (a retry with the same key included: upstream would have replayed a
  // success), so the day's allowance is given back. A 2xx keeps it.
  if (response.status >= 400 && response.status < 500) await release();
  // Upstream 401 is about Bollard's own credential, not the agent's key: passing it through would tell
  // the agent (or its SDK) that its key is bad. It becomes a 502, as the outbound client's `call` does.
  const credentialRejected = response.status === 401;
  const decision: Decision = response.status >= 500 || credentialRejected ? 'failed' : 'allowed';
  await record(ctx, {
    ...base,
    decision,
    reason: decision === 'failed' ? 'upstream_failed' : 'allowed',
    upstream_status: response.status,
    upstream_request_id: response.requestId,
    idempotency_key: key,
    amount,
    currency,
  });
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
    };
  // The caller sees its own key, not the agent-scoped form it was sent upstream as.
  return { kind: 'answered', response: { ...response, idempotencyKey: key } };
}

/** The caller's answer for a failure: the error's own status and shape, the key, the upstream id. */
function failedOutcome(requestId: string, failure: Failure): CallOutcome {
  const { error } = failure;
  const outcome: CallOutcome = {
    kind: 'failed',
    status: error.status >= 400 ? error.status : 502,
    unknown: failure.unknown,
    error: errorBody(
      requestId,
      error.type,
      [...error.codes],
      error.message !== error.type ? error.message : 'Checkout.com could not be reached',
    ),
    idempotencyKey: failure.idempotencyKey,
    upstreamRequestId: failure.upstreamRequestId,
  };
  if (error.retryAfter !== undefined) outcome.retryAfter = error.retryAfter;
  return outcome;
}
