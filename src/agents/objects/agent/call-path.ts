import { UNKNOWN_SOURCE } from '../../model/attempts';
import type { KeyShape } from '../../model/audit-entry';
import { settleCreation } from './ownership';
import { type ProfileRow, profileOf } from './profile';
import type { FinishRequest, RequestMeta } from './rpc';
import { dropStartHold, madeByStart, releaseStartHold } from './spend-holds';
import { type AgentStores, appendEntry, chainState } from './state';

/**
 * The call path inside an agent's object, besides `beginCall` (begin.ts): the key check that opens every
 * call, and the `outcome` that closes a `start` — after the answer (`finish`), after a lost `begin`
 * (`abandon`), or never (`sweep`). Synchronous SQL only: each is one uninterrupted step of the object.
 */

/** A start older than this with no outcome is marked `outcome_unrecorded` (well past any call's deadline). */
export const SWEEP_AFTER_MS = 5 * 60_000;

export type KeyRefusal = { kind: 'unauthenticated'; reason: 'agent_key_invalid' | 'agent_key_expired' };

/** Null when the key is this agent's live key; else the refusal, counted in this chain's attempts. */
export function checkKey(
  stores: AgentStores,
  row: ProfileRow,
  keyHash: string,
  meta: RequestMeta,
): KeyRefusal | null {
  let shape: KeyShape | null = null;
  if (row.key_hash !== keyHash) shape = 'wrong_secret';
  else if (row.revoked_at !== null) shape = 'revoked';
  else if (row.expires_at !== null && row.expires_at <= Date.now()) shape = 'expired';
  if (shape === null) return null;
  const reason = shape === 'expired' ? 'agent_key_expired' : 'agent_key_invalid';
  // The key names this agent, so the refusal is counted in its chain (the caller cannot tell the cases
  // apart; the operator sees the shape). Counted, not appended: a flood of guesses adds one entry per
  // source and minute.
  stores.attempts.add({
    atMs: meta.atMs,
    source: meta.source ?? UNKNOWN_SOURCE,
    reason,
    keyShape: shape,
    channel: meta.channel,
    method: meta.method,
    requestId: meta.requestId,
  });
  return { kind: 'unauthenticated', reason };
}

/**
 * Appends the outcome of a pending start, giving its reservation back if `release` (else only forgetting
 * which one it held); false when the start is not pending (a second finish of the same call is a no-op).
 */
export function finishStart(stores: AgentStores, seq: number, r: FinishRequest, release: boolean): boolean {
  if (!stores.calls.pending(chainState(stores.sql).chain, seq)) return false;
  const start = stores.chain.get(seq);
  if (!start) return false;
  appendEntry(stores, {
    ...start,
    kind: 'outcome',
    call_seq: seq,
    at_ms: r.atMs,
    decision: r.decision,
    reason: r.reason,
    upstream_status: r.upstreamStatus,
    latency_ms: r.latencyMs,
    upstream_request_id: r.upstreamRequestId,
    idempotency_key: r.idempotencyKey,
    amount: r.amount,
    currency: r.currency,
  });
  if (release) releaseStartHold(stores, seq);
  else dropStartHold(stores.sql, seq);
  settleCreation(stores.sql, seq, r);
  return true;
}

/** The outcome of a start that ends without an answer from upstream: nothing known about what it did. */
function endedWithout(
  seq: number,
  start: { at_ms: number; idempotency_key: string | null; amount: number | null; currency: string | null },
  nowMs: number,
  reason: 'upstream_failed' | 'outcome_unrecorded',
): FinishRequest {
  return {
    seq,
    atMs: nowMs,
    latencyMs: Math.max(0, nowMs - start.at_ms),
    decision: 'failed',
    reason,
    upstreamStatus: null,
    upstreamRequestId: null,
    idempotencyKey: start.idempotency_key,
    amount: start.amount,
    currency: start.currency,
    release: null,
  };
}

/**
 * Ends the start a request got, if it got one, as `upstream_failed` (the Worker lost the answer to `begin`
 * and sent nothing), giving back a reservation that start made. False when the request has no pending start.
 */
export function abandonStart(stores: AgentStores, requestId: string, nowMs: number): boolean {
  const seq = stores.calls.pendingByRequest(requestId);
  if (seq === null) return false;
  const start = stores.chain.get(seq);
  if (!start) return false;
  // Only a reservation this start made: a retry's reused one belongs to the original call.
  finishStart(stores, seq, endedWithout(seq, start, nowMs, 'upstream_failed'), madeByStart(stores.sql, seq));
  return true;
}

/**
 * Marks starts older than `SWEEP_AFTER_MS` that never got an outcome (the Worker stopped between its
 * answer and the outcome append) with an `outcome` entry, reason `outcome_unrecorded`. Their reservations
 * are kept: Bollard cannot say whether the money moved. Returns how many were marked.
 */
export function sweepStale(stores: AgentStores, nowMs: number): number {
  const { seqs } = stores.calls.stale(nowMs - SWEEP_AFTER_MS, 100);
  for (const seq of seqs) {
    const start = stores.chain.get(seq);
    if (!start) continue;
    finishStart(stores, seq, endedWithout(seq, start, nowMs, 'outcome_unrecorded'), false);
  }
  return seqs.length;
}

/** Appends the `attempts` entries of the bad-key minutes over by `nowMs` (all of them with `Infinity`). */
export function closeAttempts(stores: AgentStores, nowMs: number): number {
  const closed = stores.attempts.close(nowMs);
  if (closed.length === 0) return 0;
  const row = profileOf(stores);
  for (const entry of closed)
    appendEntry(stores, { ...entry, agent_id: row?.id ?? null, agent_name: row?.name ?? null });
  return closed.length;
}
