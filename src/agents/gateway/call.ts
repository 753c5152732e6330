import type { CatalogEntry } from '../../catalog';
import type { CheckoutClient, UpstreamResponse } from '../../checkout/contract';
import { type ErrorBody, isBollardError, type Logger } from '../../http';
import type { EntryInput } from '../model/audit-entry';
import { objectUnavailable } from '../model/deadlines';
import type { DecisionReason } from '../model/types';
import type { ApprovalNotice } from '../objects/agent/approvals-rpc';
import type { PreRefusalReason } from '../objects/agent/rpc';
import type { CallProof } from '../proof/receipt-claims';

/** Per-request context shared by the REST gateway and the MCP server. */
export interface CallContext {
  env: Env;
  /** The outbound client, built on first use with `upstreamScopes` (set once the agent is authenticated). */
  client: () => CheckoutClient;
  upstreamScopes: readonly string[];
  requestId: string;
  channel: Exclude<EntryInput['channel'], 'admin'>;
  /** When the request arrived (ms since the epoch); latency is measured from here. */
  startedMs: number;
  /** Where it came from: `CF-Connecting-IP` as `attemptSource` counts it (never the key). */
  source: string;
  /** This Worker's origin as the caller reached it (the console's approval links). */
  origin: string;
  /** What `Authorization` held, for a refused key's record: nothing, not an agent key, or an agent key. */
  presented: 'missing' | 'malformed' | 'key';
  log: Logger;
  /**
   * Names the request's agent for its metrics data point once the agent's object has recognised the key's
   * agent (allowed and refused calls alike; never for an unknown agent, so a guessed id is not recorded).
   */
  identify: (agentId: string) => void;
  /**
   * Bookkeeping the answer does not wait for (the outcome entry): `ctx.waitUntil` where the runtime gives
   * one, in line otherwise (tests calling `app.fetch` without a context). Never throws.
   */
  after: (what: string, work: () => Promise<unknown>) => Promise<void>;
  /** True when `after` runs after the answer (`waitUntil`), so an outcome may be parked (outcome-relay.ts). */
  deferred: boolean;
}

/** A refusal the surface decided from the request alone, answered once the key is known to be good. */
export interface SurfaceRefusal {
  reason: PreRefusalReason;
  status: number;
  errorType: string;
  message: string;
  headers?: Record<string, string>;
}

/** One catalog call an agent asks for: matched, or refused by the surface (`refusal`). */
export interface AgentCall {
  method: string;
  /** Null only with a `refusal` (no catalog method has this path). */
  entry: CatalogEntry | null;
  params: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string>>;
  body?: unknown;
  /** The caller's key exactly as given (the header or the argument); checked by `executeAgentCall`. */
  idempotencyKey?: string;
  refusal?: SurfaceRefusal;
}

/** What an answer carries besides its status and body, for the surfaces to pass on. */
export interface OutcomeMeta {
  /**
   * The call's `Cko-Idempotency-Key`: the caller's, or the one Bollard generated and sent. Returned on
   * every answer to a keyed call, so the caller can retry that very call (or read the resource).
   */
  idempotencyKey: string | null;
  /** Checkout.com's request id, when an answer arrived. */
  upstreamRequestId: string | null;
}

/**
 * Approvals: the approval a refused call names (428, 403, 409), for the surfaces to show — with the
 * console's page for it, and whether the agent's MCP client takes URL-mode elicitation.
 */
export interface OutcomeApproval extends ApprovalNotice {
  console_url: string;
  urlElicitation: boolean;
}

/**
 * How a call ended: refused by Bollard (no upstream call), answered upstream, or failed on the way —
 * `unknown` when a write may have taken effect and nobody can yet say whether it did. `proof`: what the
 * call's receipt states (decision, reason, upstream status, its audit entry), absent when no agent's chain
 * records it (a refused key, `503 agent_state_unavailable`): such answers carry no receipt.
 */
export type CallOutcome = (
  | ({
      kind: 'refused';
      status: number;
      error: ErrorBody;
      reason: DecisionReason;
      headers?: Record<string, string>;
      approval?: OutcomeApproval;
    } & OutcomeMeta)
  | { kind: 'answered'; response: UpstreamResponse }
  | ({
      kind: 'failed';
      status: number;
      error: ErrorBody;
      retryAfter?: number;
      unknown: boolean;
    } & OutcomeMeta)
) & { proof?: CallProof };

/** The key and upstream request id of any outcome. */
export function outcomeMeta(outcome: CallOutcome): OutcomeMeta {
  return outcome.kind === 'answered'
    ? { idempotencyKey: outcome.response.idempotencyKey, upstreamRequestId: outcome.response.requestId }
    : { idempotencyKey: outcome.idempotencyKey, upstreamRequestId: outcome.upstreamRequestId };
}

/** Bollard's refusal body: Checkout.com's error shape, naming what is missing. */
export function errorBody(requestId: string, type: string, codes: string[], message?: string): ErrorBody {
  return message === undefined
    ? { request_id: requestId, error_type: type, error_codes: codes }
    : { request_id: requestId, error_type: type, error_codes: codes, message };
}

/**
 * The answer when the agent's object could not be reached in time (or refused the round trip): nothing was
 * sent upstream, so it is a known failure, a 503 by default, retryable after a second unless it says.
 */
export function objectFailed(ctx: CallContext, err: unknown, idempotencyKey: string | null): CallOutcome {
  const error = isBollardError(err) ? err : objectUnavailable("the agent's state", err);
  return {
    kind: 'failed',
    status: error.status,
    unknown: false,
    error: errorBody(ctx.requestId, error.type, [...error.codes], error.message),
    retryAfter: error.retryAfter ?? 1,
    idempotencyKey,
    upstreamRequestId: null,
  };
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
