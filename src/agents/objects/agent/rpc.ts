import type { UpstreamResponse } from '../../../checkout/contract';
import type { EntryInput } from '../../model/audit-entry';
import type { Failure } from '../../model/failure';
import type { MoneyFacts } from '../../model/money';
import type { CreatedObject, ObjectFacts } from '../../model/scope';
import type { AgentView, Decision, DecisionReason } from '../../model/types';
import type { AuditRef } from '../../proof/receipt-claims';
import type { ApprovalBeginResult, ExecutionEnd } from './approvals-rpc';
import type { AuthenticatedAgent } from './profile';
import type { SpendHold } from './spend-ledger';

/**
 * What crosses the RPC boundary of `AgentObject`: requests and results as plain data (no classes, no
 * Headers), shared by the Worker side (gateway/, admin/) and the object.
 */

/** The agent's key, returned once on creation and rotation. */
export interface IssuedAgent {
  agent: AgentView;
  key: string;
}

/** Refusals the Worker decides from the request alone; recorded once the key is known to be good. */
export type PreRefusalReason =
  | 'route_not_found'
  | 'method_not_allowed'
  | 'body_invalid'
  | 'idempotency_key_invalid';

/** Who is calling and when: the fields every entry about this request shares. */
export interface RequestMeta {
  requestId: string;
  /** An agent's own calls come over REST or MCP (`admin` entries are Bollard's, for an operator). */
  channel: Exclude<EntryInput['channel'], 'admin'>;
  /** When the request (or the MCP tool call) arrived, ms since the epoch. */
  atMs: number;
  method: string;
  /**
   * Where the request came from (`attemptSource` of `CF-Connecting-IP`), counted with a refused key's
   * attempts; absent means `unknown`.
   */
  source?: string;
}

/** Everything `AgentObject.begin` needs to authenticate, authorise, reserve and record in one step. */
export interface BeginRequest extends RequestMeta {
  /** SHA-256 (hex) of the presented key. */
  keyHash: string;
  /** The catalog entry's name; null when no entry matched (then `refusal` says why). */
  entry: string | null;
  params: Readonly<Record<string, string>>;
  refusal: PreRefusalReason | null;
  /** The caller's own valid key (recorded on a refusal), or null. */
  givenKey: string | null;
  /** The key the call is sent with: the caller's, or one generated for money-moving writes and voids. */
  key: string | null;
  /** Amount and currency as far as the body says. */
  money: MoneyFacts;
  /** Approvals: the JSON body as sent (writes only), which an approval's hash binds (approvals.ts). */
  body?: unknown;
  /** Object scope (issue 18, scope-budgets): what the body and query say about the objects the call names. */
  object?: ObjectFacts;
  /**
   * Earlier calls' outcomes this request carries (gateway/outcome-relay.ts), appended first, as `finish`
   * would append them: plain outcomes only (no hold to give back, no approval, no creation).
   */
  outcomes?: FinishRequest[];
}

/** An `UpstreamResponse` that can cross an RPC boundary (Headers cannot). */
export interface PlainResponse {
  status: number;
  headers: Array<[string, string]>;
  body: unknown;
  requestId: string | null;
  attempts: number;
  idempotencyKey: string | null;
}

/** A `Failure` that can cross an RPC boundary (error classes do not). */
export interface PlainFailure {
  status: number;
  errorType: string;
  codes: string[];
  message: string;
  retryAfter: number | null;
  unknown: boolean;
  upstreamStatus: number | null;
  upstreamRequestId: string | null;
  idempotencyKey: string | null;
}

export type BeginResult =
  /** No agent lives in this object (a well-formed key naming no agent): nothing was recorded. */
  | { kind: 'unknown_agent' }
  /** Wrong secret, revoked or expired; recorded. */
  | { kind: 'unauthenticated'; reason: 'agent_key_invalid' | 'agent_key_expired' }
  /** Refused before sending (the Worker's refusal, grant, limits, key reuse); recorded. */
  | { kind: 'refused'; reason: DecisionReason; message: string; audit: AuditRef }
  /** The money lookup's own error answer (e.g. 404 for an unknown payment) is the answer; recorded. */
  | { kind: 'answered'; response: PlainResponse; audit: AuditRef }
  /** The money lookup failed (nothing was sent); recorded. */
  | { kind: 'failed'; failure: PlainFailure; audit: AuditRef }
  /** Allowed, money reserved, `start` entry appended: send it, then `finish(seq, …)`. */
  | {
      kind: 'started';
      seq: number;
      /** The `start` entry (a receipt names it; the outcome entry follows after the answer). */
      audit: AuditRef;
      agent: AuthenticatedAgent;
      hold: SpendHold | null;
      amount: number | null;
      currency: string | null;
      /** Approvals: the approval this call executes (its answer is sent back with `finish`), or null. */
      approvalId: string | null;
    }
  /** Approvals: held for a person (428), refused for its approval, replayed, or waiting (approvals.ts). */
  | ApprovalBeginResult;

/** What an MCP `initialize` declared, remembered for the agent's later tool calls (stateless server). */
export interface McpClientFacts {
  /** The client declared URL-mode elicitation (`capabilities.elicitation.url`). */
  urlElicitation: boolean;
}

export type AuthenticateResult =
  | { kind: 'unknown_agent' }
  | { kind: 'unauthenticated'; reason: 'agent_key_invalid' | 'agent_key_expired' }
  | { kind: 'ok'; agent: AuthenticatedAgent };

/** The end of a started call, appended after the answer. */
export interface FinishRequest {
  /** The `start` entry's seq. */
  seq: number;
  atMs: number;
  latencyMs: number;
  decision: Decision;
  reason: DecisionReason;
  upstreamStatus: number | null;
  upstreamRequestId: string | null;
  idempotencyKey: string | null;
  amount: number | null;
  currency: string | null;
  /** The reservation to give back (a definite refusal: nothing moved), or null to keep it. */
  release: SpendHold | null;
  /** Approvals: how the execution of an approved call ended (its answer, to replay), for those only. */
  approval?: ExecutionEnd;
  /** Object scope (issue 18, scope-budgets): the object a creating call's 2xx answer named, now the agent's. */
  created?: CreatedObject | null;
}

export function plainResponse(response: UpstreamResponse): PlainResponse {
  return {
    status: response.status,
    headers: [...response.headers.entries()],
    body: response.body,
    requestId: response.requestId,
    attempts: response.attempts,
    idempotencyKey: response.idempotencyKey,
  };
}

export function upstreamResponse(plain: PlainResponse): UpstreamResponse {
  return { ...plain, headers: new Headers(plain.headers) };
}

export function plainFailure(failure: Failure): PlainFailure {
  const { error } = failure;
  return {
    status: error.status >= 400 ? error.status : 502,
    errorType: error.type,
    codes: [...error.codes],
    message: error.message !== error.type ? error.message : 'Checkout.com could not be reached',
    retryAfter: error.retryAfter ?? null,
    unknown: failure.unknown,
    upstreamStatus: failure.upstreamStatus,
    upstreamRequestId: failure.upstreamRequestId,
    idempotencyKey: failure.idempotencyKey,
  };
}
