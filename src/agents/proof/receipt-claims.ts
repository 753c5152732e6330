/**
 * What a receipt says (docs/agents.md, "Proving what an agent did"), pure. A receipt is a compact JWS whose
 * payload is these claims: who called (`sub`), what was asked (the catalog method, the request target, the
 * idempotency key, the SHA-256 of the request body), what Bollard answered (its status, the SHA-256 of the
 * body as sent), what Checkout.com answered (its status and request id), what Bollard decided and why, and
 * which entry of the agent's audit chain records it (`audit`: seq and hash).
 */

/** The JWS `typ` of a receipt: a JWT (RFC 7519 claims) of Bollard's own kind. */
export const RECEIPT_TYP = 'bollard-receipt+jwt';

/**
 * The audit entry a call's answer is tied to, known when the answer is sent: the `call` entry of a refusal,
 * or the `start` entry of a call sent upstream (its `outcome` entry, `call_seq` = this seq, is appended
 * after the answer; the receipt carries the outcome itself).
 */
export interface AuditRef {
  chain: string;
  seq: number;
  hash: string;
  kind: 'call' | 'start';
}

/** The reference to an appended entry (`AuditEntry` from src/agents/audit-entry.ts, structurally). */
export function auditRef(entry: { chain: string; seq: number; hash: string; kind: string }): AuditRef {
  return {
    chain: entry.chain,
    seq: entry.seq,
    hash: entry.hash,
    kind: entry.kind === 'start' ? 'start' : 'call',
  };
}

/**
 * What the pipeline decided for one call, attached to its outcome (`CallOutcome.proof`): null for the
 * answers no agent's chain records (a refused key, `503 agent_state_unavailable`), which carry no receipt.
 */
export interface CallProof {
  agent_id: string;
  decision: 'allowed' | 'denied' | 'failed';
  reason: string;
  upstream_status: number | null;
  audit: AuditRef;
}

/** Everything a receipt states, as the surface knows it once the answer's body is final. */
export interface ReceiptInput {
  proof: CallProof;
  /** Bollard's request id (`Cko-Request-Id` on its answer; `request_id` in the audit entry). */
  request_id: string;
  channel: 'rest' | 'mcp';
  /** The catalog method (`refundPayment`); null when no method has the path. */
  method: string | null;
  http_method: string;
  /** The request target as asked: path and query (`/payments/pay_…/refunds`). */
  path: string;
  path_template: string | null;
  /** The key the call was sent with (the caller's, or the one Bollard generated), or null. */
  idempotency_key: string | null;
  upstream_request_id: string | null;
  /** The HTTP status Bollard answered (MCP: the tool result's `status`). */
  status: number;
  /** Lowercase hex SHA-256 of the request body as received (REST), or of `JSON.stringify(arguments.body)` (MCP). */
  request_sha256: string;
  /** Lowercase hex SHA-256 of the response body exactly as sent (MCP: the tool result's text content). */
  response_sha256: string;
}

export interface ReceiptClaims {
  iss: string;
  sub: string;
  iat: number;
  jti: string;
  kid: string;
  request_id: string;
  channel: 'rest' | 'mcp';
  method: string | null;
  http_method: string;
  path: string;
  path_template: string | null;
  idempotency_key: string | null;
  request_sha256: string;
  response_sha256: string;
  status: number;
  upstream_status: number | null;
  upstream_request_id: string | null;
  decision: CallProof['decision'];
  reason: string;
  audit: AuditRef;
}

/** The claims, in a fixed order (the payload is JSON; the order only makes receipts easy to read). */
export function receiptClaims(
  input: ReceiptInput,
  signed: { iss: string; iatS: number; jti: string; kid: string },
): ReceiptClaims {
  const { proof } = input;
  return {
    iss: signed.iss,
    sub: proof.agent_id,
    iat: signed.iatS,
    jti: signed.jti,
    kid: signed.kid,
    request_id: input.request_id,
    channel: input.channel,
    method: input.method,
    http_method: input.http_method,
    path: input.path,
    path_template: input.path_template,
    idempotency_key: input.idempotency_key,
    request_sha256: input.request_sha256,
    response_sha256: input.response_sha256,
    status: input.status,
    upstream_status: proof.upstream_status,
    upstream_request_id: input.upstream_request_id,
    decision: proof.decision,
    reason: proof.reason,
    audit: { ...proof.audit },
  };
}
