import { createHash } from 'node:crypto';
import { randomBase32, redactString } from '../../http';

/**
 * What an approval is bound to, exactly (docs/agents.md, "Approvals"): the SHA-256 of the agent id, the
 * HTTP method, the concrete path, the canonical JSON body and the idempotency key. Pure and synchronous
 * (`node:crypto`), so the agent's object checks it in the same uninterrupted step as the rest of `begin`.
 */

const ID_SHAPE = /^apr_([a-z2-7]{26})_[a-z2-7]{16}$/;

/** A new approval id: `apr_<the agent id's 26 characters>_<16 random>`, so the id names its agent's object. */
export function newApprovalId(agentId: string): string {
  const body = /^agt_([a-z2-7]{26})$/.exec(agentId)?.[1];
  if (body === undefined) throw new TypeError('not an agent id');
  return `apr_${body}_${randomBase32(16)}`;
}

/** The agent an approval id belongs to, or null for anything that is not an approval id. */
export function agentOfApproval(id: string): string | null {
  const body = ID_SHAPE.exec(id)?.[1];
  return body === undefined ? null : `agt_${body}`;
}

/**
 * JSON with every object's keys sorted (by UTF-16 code units, as `Array.prototype.sort` does), no
 * whitespace, arrays in order; an absent body is `null`. Two bodies that mean the same JSON hash the same
 * whatever order the agent wrote their keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What `requestHash` covers. */
export interface BoundRequest {
  agentId: string;
  method: string;
  /** The concrete path as Checkout.com names it (`/payments/pay_…/refunds`), without Bollard's prefix or a query. */
  path: string;
  body: unknown;
  idempotencyKey: string;
}

/** `sha256_hex(agent_id \n method \n path \n canonical_json(body) \n idempotency_key)`, UTF-8. */
export function requestHash(r: BoundRequest): string {
  return createHash('sha256')
    .update([r.agentId, r.method, r.path, canonicalJson(r.body), r.idempotencyKey].join('\n'))
    .digest('hex');
}

/** Card data an approval view never shows: the number, the security code and the expiry. */
const CARD_FIELDS = /^(number|card_number|cvv|cvc|cvv2|expiry|expiry_month|expiry_year|expiry_date)$/i;

/**
 * The body as operators see it on an approval: card fields (`number`, `cvv`, expiry) as `"[redacted]"`,
 * and anything card- or secret-shaped left in other strings masked by the log redactor's patterns. This
 * is all that is stored of the body; the hash is taken from the body as sent.
 */
export function redactApprovalBody(value: unknown, depth = 0): unknown {
  if (depth > 16) return '[redacted]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redactApprovalBody(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = CARD_FIELDS.test(k) && v !== null ? '[redacted]' : redactApprovalBody(v, depth + 1);
    return out;
  }
  return value ?? null;
}
