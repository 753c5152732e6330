import { entryByName } from '../../../catalog';
import { DAY_MS } from '../../model/budgets';
import { profileOf } from './profile';
import { type AgentStores, appendEntry } from './state';

/**
 * The agent object's half of revoke-and-void (docs/agents.md, "Revoke and roll back"): which of its own
 * payments may still hold an open authorisation, and the `start` entry of each void Bollard sends for the
 * operator (its `outcome` is appended by `finish`, as for any call). The reads and voids themselves are
 * sent from the Worker (admin/revoke-voids.ts).
 */

/** Authorisations expire within 7 days by default and 30 at most (some schemes): older ones are not open. */
export const AUTHORIZATION_MAX_AGE_MS = 30 * DAY_MS;

/** The most payments one revoke request reads and voids; the answer says how many are left. */
export const VOID_BATCH = 100;

/**
 * Owned payments created in the last 30 days whose creating answer left them open — `Authorized` or
 * `Pending` (3DS, a redirect), or adopted from a status read without a status — newest first. Their
 * current status is read before any void: a capture or void since then closed them.
 */
export function voidCandidates(
  sql: SqlStorage,
  nowMs: number,
  limit: number,
): { ids: string[]; remaining: number } {
  const where = `kind = 'payment' AND at_ms > ? AND (status IS NULL OR status IN ('Authorized', 'Pending'))`;
  const since = nowMs - AUTHORIZATION_MAX_AGE_MS;
  const total = sql
    .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM owned_objects WHERE ${where}`, since)
    .one().n;
  const ids = sql
    .exec<{ id: string }>(
      `SELECT id FROM owned_objects WHERE ${where} ORDER BY at_ms DESC LIMIT ?`,
      since,
      limit,
    )
    .toArray()
    .map((r) => r.id);
  return { ids, remaining: Math.max(0, total - ids.length) };
}

/**
 * Appends the `start` of a void Bollard sends for the operator on one of the agent's payments: channel
 * `admin`, the agent's id and name, the void's own idempotency key (never the payment id: entries hold
 * no concrete ids). Returns its `seq` for `finish`; null when the object holds no agent.
 */
export function startOperatorVoid(
  stores: AgentStores,
  requestId: string,
  key: string,
  nowMs: number,
): number | null {
  const row = profileOf(stores);
  const entry = entryByName('voidPayment');
  if (!row || !entry) return null;
  return appendEntry(stores, {
    kind: 'start',
    call_seq: null,
    at_ms: nowMs,
    agent_id: row.id,
    agent_name: row.name,
    channel: 'admin',
    method: entry.method,
    path_template: entry.path,
    entry: entry.name,
    area: entry.area,
    access: entry.access,
    decision: 'allowed',
    reason: 'allowed',
    upstream_status: null,
    latency_ms: 0,
    request_id: requestId,
    upstream_request_id: null,
    idempotency_key: key,
    amount: null,
    currency: null,
  }).seq;
}
