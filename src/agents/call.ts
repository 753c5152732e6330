import type { CatalogEntry } from '../catalog';
import type { CheckoutClient, UpstreamResponse } from '../checkout/contract';
import type { ErrorBody, Logger } from '../http';
import type { AuditInput } from './audit-record';
import { appendAudit } from './audit-writer';
import type { DecisionReason } from './types';

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
  /** The caller's key exactly as given (the header or the argument); checked by `executeAgentCall`. */
  idempotencyKey?: string;
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
 * How a call ended: refused by Bollard (no upstream call), answered upstream, or failed on the way —
 * `unknown` when a write may have taken effect and nobody can yet say whether it did.
 */
export type CallOutcome =
  | ({ kind: 'refused'; status: number; error: ErrorBody; reason: DecisionReason } & OutcomeMeta)
  | { kind: 'answered'; response: UpstreamResponse }
  | ({
      kind: 'failed';
      status: number;
      error: ErrorBody;
      retryAfter?: number;
      unknown: boolean;
    } & OutcomeMeta);

/** The key and upstream request id of any outcome. */
export function outcomeMeta(outcome: CallOutcome): OutcomeMeta {
  return outcome.kind === 'answered'
    ? { idempotencyKey: outcome.response.idempotencyKey, upstreamRequestId: outcome.response.requestId }
    : { idempotencyKey: outcome.idempotencyKey, upstreamRequestId: outcome.upstreamRequestId };
}

/** The audit fields fixed before the call's fate is known. */
export type AuditBase = Omit<
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
>;

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
