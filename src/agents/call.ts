import type { CatalogEntry } from '../catalog';
import type { CheckoutClient, UpstreamResponse } from '../checkout/contract';
import { type ErrorBody, isBollardError, type Logger } from '../http';
import type { AuditInput } from './audit-record';
import { appendAudit } from './audit-writer';
import { moneyInBody, resolveMoney } from './money';
import { grantAllows, hasMoneyLimits, type Money } from './policy';
import { agentRegistry } from './registry';
import type { AuthenticatedAgent } from './registry-do';
import type { Decision, DecisionReason } from './types';

/** Per-request context shared by the REST gateway and the MCP server. */
export interface CallContext {
  env: Env;
  /** The outbound client, built on first use with `upstreamScopes` (set once the agent is authenticated). */
  client: () => CheckoutClient;
  upstreamScopes: readonly string[];
  requestId: string;
  channel: AuditInput['channel'];
  /** When the request arrived (ms since the epoch); latency is measured from here. */
  startedMs: number;
  log: Logger;
}

/** One catalog call an agent asks for, already matched. */
export interface AgentCall {
  entry: CatalogEntry;
  params: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string>>;
  body?: unknown;
  idempotencyKey?: string;
}

/** How a call ended: refused by Bollard (no upstream call), answered upstream, or failed on the way. */
export type CallOutcome =
  | { kind: 'refused'; status: number; error: ErrorBody; reason: DecisionReason }
  | { kind: 'answered'; response: UpstreamResponse }
  | { kind: 'failed'; status: number; error: ErrorBody; retryAfter?: number };

/** Bollard's refusal body: Checkout.com's error shape, naming what is missing. */
export function errorBody(requestId: string, type: string, codes: string[], message?: string): ErrorBody {
  return message === undefined
    ? { request_id: requestId, error_type: type, error_codes: codes }
    : { request_id: requestId, error_type: type, error_codes: codes, message };
}

/** Renders an error body as a JSON response. */
export function errorResponse(
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** The audit fields every record about a matched entry shares. */
export function entryFields(
  entry: CatalogEntry | null,
): Pick<AuditInput, 'path_template' | 'entry' | 'area' | 'access'> {
  return entry
    ? { path_template: entry.path, entry: entry.name, area: entry.area, access: entry.access }
    : { path_template: null, entry: null, area: null, access: null };
}

/** Builds and appends one audit record, measuring latency up to now. */
export async function record(
  ctx: CallContext,
  fields: Omit<AuditInput, 'at_ms' | 'channel' | 'latency_ms' | 'request_id'>,
): Promise<void> {
  await appendAudit(
    ctx.env,
    {
      ...fields,
      at_ms: ctx.startedMs,
      channel: ctx.channel,
      latency_ms: Math.max(0, Date.now() - ctx.startedMs),
      request_id: ctx.requestId,
    },
    ctx.log,
  );
}

/**
 * The policy-and-forward half of the pipeline, after authentication and matching: grant → limits
 * (money-moving entries: currency, per call, per day atomically in the registry) → forward through the
 * outbound client → record. A refusal costs no upstream call. Every path through here appends exactly
 * one audit record before returning.
 */
export async function executeAgentCall(
  ctx: CallContext,
  agent: AuthenticatedAgent,
  call: AgentCall,
): Promise<CallOutcome> {
  const { entry } = call;
  const base = {
    agent_id: agent.id,
    agent_name: agent.name,
    method: entry.method,
    ...entryFields(entry),
    idempotency_key: call.idempotencyKey ?? null,
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
    return {
      kind: 'refused',
      status: 403,
      reason,
      error: errorBody(ctx.requestId, 'permission_denied', [reason], message),
    };
  };

  if (!grantAllows(agent.grants, entry)) {
    return refuse(
      'grant_required',
      `${entry.name} (${entry.method} ${entry.path}) needs the ${entry.access} grant on the ${entry.area} area`,
    );
  }

  let reserved: { money: Money; atMs: number } | null = null;
  if (entry.movesMoney && hasMoneyLimits(agent.limits)) {
    let resolved: Awaited<ReturnType<typeof resolveMoney>>;
    try {
      resolved = await resolveMoney(entry, call.params, bodyMoney, ctx.client());
    } catch (err) {
      return failed(ctx, base, err, amount, currency);
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
    const atMs = Date.now();
    const check = await agentRegistry(ctx.env).reserveSpend(agent.id, entry.name, resolved.money, atMs);
    if (!check.ok) return refuse(check.reason, check.message);
    reserved = { money: resolved.money, atMs };
  }

  let response: UpstreamResponse;
  try {
    response = await ctx.client().send(entry, {
      params: call.params,
      ...(call.query ? { query: call.query } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
      ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
    });
  } catch (err) {
    if (reserved) await agentRegistry(ctx.env).releaseSpend(agent.id, reserved.money, reserved.atMs);
    return failed(ctx, base, err, amount, currency);
  }
  // A 4xx means nothing moved, so the day's allowance is given back. A 5xx is ambiguous (the funds may
  // have moved), so it stays counted: the limit errs on the side of less money.
  if (reserved && response.status >= 400 && response.status < 500)
    await agentRegistry(ctx.env).releaseSpend(agent.id, reserved.money, reserved.atMs);
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
    idempotency_key: response.idempotencyKey ?? base.idempotency_key,
    amount,
    currency,
  });
  if (credentialRejected)
    return {
      kind: 'failed',
      status: 502,
      error: errorBody(
        ctx.requestId,
        'upstream_error',
        ['upstream_credential_rejected'],
        "Checkout.com rejected Bollard's credential",
      ),
    };
  return { kind: 'answered', response };
}

async function failed(
  ctx: CallContext,
  base: Omit<
    AuditInput,
    | 'at_ms'
    | 'channel'
    | 'latency_ms'
    | 'request_id'
    | 'decision'
    | 'reason'
    | 'upstream_status'
    | 'upstream_request_id'
    | 'amount'
    | 'currency'
  >,
  err: unknown,
  amount: number | null,
  currency: string | null,
): Promise<CallOutcome> {
  // Governor refusals (429), timeouts and network errors arrive as BollardErrors with their own status.
  const known = isBollardError(err) ? err : null;
  if (!known) ctx.log.error('agent call failed', { error: err, entry: base.entry });
  await record(ctx, {
    ...base,
    decision: 'failed',
    reason: 'upstream_failed',
    upstream_status: null,
    upstream_request_id: null,
    amount,
    currency,
  });
  const status = known && known.status >= 400 ? known.status : 502;
  const outcome: CallOutcome = {
    kind: 'failed',
    status,
    error: errorBody(
      ctx.requestId,
      known?.type ?? 'upstream_error',
      known ? [...known.codes] : ['upstream_unreachable'],
      known?.message && known.message !== known.type ? known.message : 'Checkout.com could not be reached',
    ),
  };
  if (known?.retryAfter !== undefined) outcome.retryAfter = known.retryAfter;
  return outcome;
}
