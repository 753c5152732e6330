import { createHash } from 'node:crypto';
import type { Decision, DecisionReason } from './types';

/**
 * One entry of an agent's hash chain (docs/agents.md, "The audit log"). A call is recorded as
 * - `call`: decided in one step (every refusal): the entry is the whole story;
 * - `start` when it is sent upstream (appended in the same Durable Object round trip that authenticated
 *   and authorised it), then `outcome` (appended after the answer, `call_seq` = the start's `seq`);
 * - `attempts`: the calls refused for their key (missing, malformed, naming no agent, wrong, revoked or
 *   expired) from one source in one minute, counted in one entry (`objects/agent/attempt-windows.ts`), so a flood of
 *   bad keys cannot write one entry per attempt;
 * - `approval`: a step of an approval's life (requested, approved, declined, executed, expired), with who
 *   decided and with which credential (`objects/agent/approvals.ts`; docs/agents.md, "Approvals").
 * Never a key, card data or a raw body.
 */
export type EntryKind = 'call' | 'start' | 'outcome' | 'attempts' | 'approval';

/**
 * What was presented, for an `attempts` entry: no key, something that is not an agent key, a well-formed
 * key naming no agent (those three in `anonymous`), or a key naming this agent whose secret is wrong (a
 * rotated-away key included), revoked or expired. A closed set: never the key, nor any part of it.
 */
export type KeyShape = 'none' | 'malformed' | 'unknown_agent' | 'wrong_secret' | 'revoked' | 'expired';

/** The chain that holds entries of calls no agent could be named for (missing or malformed keys). */
export const ANONYMOUS_CHAIN = 'anonymous';

/**
 * What both an audit entry and the audit view's record of one call say about that call: one list, so the
 * chain's entries and `/admin/audit`'s records cannot drift apart.
 */
export interface CallFields {
  /** Milliseconds since the epoch: when the call arrived (`call`, `start`) or ended (`outcome`). */
  at_ms: number;
  agent_id: string | null;
  agent_name: string | null;
  /** `admin`: a call Bollard made for an operator on the agent's behalf (revoke and void, issue 18). */
  channel: 'rest' | 'mcp' | 'admin';
  method: string;
  /** The catalog path template (`/payments/{id}`), never the concrete path (ids can be sensitive). */
  path_template: string | null;
  entry: string | null;
  area: string | null;
  access: 'read' | 'write' | null;
  decision: Decision;
  reason: DecisionReason;
  upstream_status: number | null;
  /** From arrival to this entry. */
  latency_ms: number;
  /** Bollard's request id (`Cko-Request-Id` on Bollard's answer). */
  request_id: string;
  /** Checkout.com's `Cko-Request-Id`. */
  upstream_request_id: string | null;
  idempotency_key: string | null;
  /** Minor units, for money-moving calls when known. */
  amount: number | null;
  currency: string | null;
}

/** What the gateway records about one call (or one call's outcome). */
export interface EntryInput extends CallFields {
  kind: EntryKind;
  /** For `outcome`: the `seq` of its call's `start`; null otherwise. */
  call_seq: number | null;
  /** `attempts` only: the source (client address, IPv6 as its /64, `*` past the per-minute cap). */
  source?: string | null;
  /** `attempts` only. */
  key_shape?: KeyShape | null;
  /** `attempts` only: how many attempts the entry counts (`at_ms` is the first's, `last_at_ms` the last's). */
  attempts?: number | null;
  last_at_ms?: number | null;
  // ── approvals: `approval` entries only (APPROVAL_FIELDS) ──
  /** The approval (`apr_…`). */
  approval_id?: string | null;
  /** What the approval is bound to (model/approval-request.ts). */
  request_hash?: string | null;
  /** Who approved or declined (`approval_approved`, `approval_declined`). */
  approver_id?: string | null;
  approver_name?: string | null;
  /** The passkey's credential id; null for the dev bearer approval. */
  approver_credential_id?: string | null;
  approver_via?: 'passkey' | 'dev_bearer' | null;
  /** The reason a decline gave. */
  decline_reason?: string | null;
}

/** A stored entry: the input plus its place in its chain. */
export interface AuditEntry extends EntryInput {
  /** The agent id, or `anonymous`. */
  chain: string;
  /** 1, 2, 3, … within the chain. */
  seq: number;
  at: string;
  prev_hash: string;
  hash: string;
}

/** The previous-hash of every chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The fields covered by the hash, in this order (the order is the format: adding a field means a new
 * chain version). `docs/verify-audit.mjs` repeats this list; `test/agents/admin/verify-script.test.ts` keeps
 * them in step.
 */
export const HASHED_FIELDS = [
  'chain',
  'seq',
  'kind',
  'call_seq',
  'at_ms',
  'agent_id',
  'agent_name',
  'channel',
  'method',
  'path_template',
  'entry',
  'area',
  'access',
  'decision',
  'reason',
  'upstream_status',
  'latency_ms',
  'request_id',
  'upstream_request_id',
  'idempotency_key',
  'amount',
  'currency',
] as const;

/**
 * Hashed after `HASHED_FIELDS`, for `kind: "attempts"` entries only (so the entries of every other kind
 * hash exactly as before this kind existed). `docs/verify-audit.mjs` repeats this list too.
 */
export const ATTEMPT_FIELDS = ['source', 'key_shape', 'attempts', 'last_at_ms'] as const;

/**
 * Hashed after `HASHED_FIELDS`, for `kind: "approval"` entries only (every other kind hashes exactly as
 * before this kind existed). `docs/verify-audit.mjs` repeats this list too.
 */
export const APPROVAL_FIELDS = [
  'approval_id',
  'request_hash',
  'approver_id',
  'approver_name',
  'approver_credential_id',
  'approver_via',
  'decline_reason',
] as const;

export type Hashable = Pick<AuditEntry, (typeof HASHED_FIELDS)[number]> &
  Partial<Pick<AuditEntry, (typeof ATTEMPT_FIELDS)[number] | (typeof APPROVAL_FIELDS)[number]>>;

/**
 * `sha256_hex(prev_hash + "\n" + JSON.stringify([the HASHED_FIELDS values, in order]))`, UTF-8, with
 * `null` for absent values and numbers as JSON writes them; for an `attempts` entry the array goes on with
 * the `ATTEMPT_FIELDS` values, for an `approval` entry with the `APPROVAL_FIELDS` values. A fixed-order array, so key order and whitespace cannot change it.
 * Synchronous (`node:crypto`), so an append is one uninterrupted step inside the Durable Object: no other
 * append can slip between reading the head and writing after it.
 */
export function entryHash(prevHash: string, entry: Hashable): string {
  const values: unknown[] = HASHED_FIELDS.map((f) => entry[f]);
  if (entry.kind === 'attempts') for (const f of ATTEMPT_FIELDS) values.push(entry[f] ?? null);
  if (entry.kind === 'approval') for (const f of APPROVAL_FIELDS) values.push(entry[f] ?? null);
  const canonical = JSON.stringify(values);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** Chain-verification result for one range of one chain. */
export interface RangeCheck {
  valid: boolean;
  /**
   * Where the check started: the range's `fromSeq`, or the chain's pruned-through anchor when the range
   * began inside the pruned prefix (those entries are gone; the anchor was verified when they were pruned).
   */
  start_seq: number;
  /** Entries checked. */
  checked: number;
  /** The last valid entry reached. */
  head_seq: number;
  head_hash: string;
  first_invalid_seq: number | null;
}

/**
 * Walks entries (in `seq` order, starting right after `fromSeq`, whose hash is `fromHash`) recomputing
 * each hash and link. An edited field, a removed or reordered entry breaks a hash or a link there.
 */
export function checkRange(
  entries: Iterable<AuditEntry>,
  fromSeq: number,
  fromHash: string,
  toSeq: number = Number.POSITIVE_INFINITY,
): RangeCheck {
  let prev = fromHash;
  let expected = fromSeq + 1;
  let checked = 0;
  const start_seq = fromSeq;
  for (const e of entries) {
    if (e.seq > toSeq) break;
    if (e.seq !== expected || e.prev_hash !== prev || entryHash(prev, e) !== e.hash)
      return {
        valid: false,
        start_seq,
        checked,
        head_seq: expected - 1,
        head_hash: prev,
        first_invalid_seq: e.seq,
      };
    prev = e.hash;
    expected++;
    checked++;
  }
  // Entries known to exist (forwarded to the index) but gone from the chain: truncated.
  if (Number.isFinite(toSeq) && expected - 1 < toSeq)
    return {
      valid: false,
      start_seq,
      checked,
      head_seq: expected - 1,
      head_hash: prev,
      first_invalid_seq: expected,
    };
  return {
    valid: true,
    start_seq,
    checked,
    head_seq: expected - 1,
    head_hash: prev,
    first_invalid_seq: null,
  };
}
