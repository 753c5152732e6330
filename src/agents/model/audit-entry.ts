import { createHash } from 'node:crypto';
import type { Decision, DecisionReason } from './types';

/**
 * One entry of an agent's hash chain (docs/agents.md, "The audit log"). A call is recorded as
 * - `call`: decided in one step (every refusal): the entry is the whole story;
 * - `start` when it is sent upstream (appended in the same Durable Object round trip that authenticated
 *   and authorised it), then `outcome` (appended after the answer, `call_seq` = the start's `seq`);
 * - `attempts`: the calls refused for their key (missing, malformed, naming no agent, wrong, revoked or
 *   expired) from one source in one minute, counted in one entry (`src/agents/attempts.ts`), so a flood of
 *   bad keys cannot write one entry per attempt.
 * Never a key, card data or a raw body.
 */
export type EntryKind = 'call' | 'start' | 'outcome' | 'attempts';

/**
 * What was presented, for an `attempts` entry: no key, something that is not an agent key, a well-formed
 * key naming no agent (those three in `anonymous`), or a key naming this agent whose secret is wrong (a
 * rotated-away key included), revoked or expired. A closed set: never the key, nor any part of it.
 */
export type KeyShape = 'none' | 'malformed' | 'unknown_agent' | 'wrong_secret' | 'revoked' | 'expired';

/** The chain that holds entries of calls no agent could be named for (missing or malformed keys). */
export const ANONYMOUS_CHAIN = 'anonymous';

/** What the gateway records about one call (or one call's outcome). */
export interface EntryInput {
  kind: EntryKind;
  /** For `outcome`: the `seq` of its call's `start`; null otherwise. */
  call_seq: number | null;
  /** Milliseconds since the epoch: when the call arrived (`call`, `start`) or ended (`outcome`). */
  at_ms: number;
  agent_id: string | null;
  agent_name: string | null;
  channel: 'rest' | 'mcp';
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
  /** `attempts` only: the source (client address, IPv6 as its /64, `*` past the per-minute cap). */
  source?: string | null;
  /** `attempts` only. */
  key_shape?: KeyShape | null;
  /** `attempts` only: how many attempts the entry counts (`at_ms` is the first's, `last_at_ms` the last's). */
  attempts?: number | null;
  last_at_ms?: number | null;
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
 * chain version). `docs/verify-audit.mjs` repeats this list; `test/agents/verify-script.test.ts` keeps
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

export type Hashable = Pick<AuditEntry, (typeof HASHED_FIELDS)[number]> &
  Partial<Pick<AuditEntry, (typeof ATTEMPT_FIELDS)[number]>>;

/**
 * `sha256_hex(prev_hash + "\n" + JSON.stringify([the HASHED_FIELDS values, in order]))`, UTF-8, with
 * `null` for absent values and numbers as JSON writes them; for an `attempts` entry the array goes on with
 * the `ATTEMPT_FIELDS` values. A fixed-order array, so key order and whitespace cannot change it.
 * Synchronous (`node:crypto`), so an append is one uninterrupted step inside the Durable Object: no other
 * append can slip between reading the head and writing after it.
 */
export function entryHash(prevHash: string, entry: Hashable): string {
  const values: unknown[] = HASHED_FIELDS.map((f) => entry[f]);
  if (entry.kind === 'attempts') for (const f of ATTEMPT_FIELDS) values.push(entry[f] ?? null);
  const canonical = JSON.stringify(values);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** The SQL columns of an entry (both the agent's chain table and the index's copy). */
export const ENTRY_COLUMNS_SQL = `
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  call_seq INTEGER,
  at_ms INTEGER NOT NULL,
  agent_id TEXT,
  agent_name TEXT,
  channel TEXT NOT NULL,
  method TEXT NOT NULL,
  path_template TEXT,
  entry TEXT,
  area TEXT,
  access TEXT,
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  upstream_status INTEGER,
  latency_ms INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  upstream_request_id TEXT,
  idempotency_key TEXT,
  amount INTEGER,
  currency TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  source TEXT,
  key_shape TEXT,
  attempts INTEGER,
  last_at_ms INTEGER`;

/** Columns added after the first layout: `ensureColumns` adds them to tables made before. */
export const LATER_ENTRY_COLUMNS = {
  source: 'TEXT',
  key_shape: 'TEXT',
  attempts: 'INTEGER',
  last_at_ms: 'INTEGER',
} as const;

/**
 * Adds the columns a table made by an earlier layout lacks (`ALTER TABLE … ADD COLUMN`, nullable). Reads
 * the table's `CREATE` statement once; nothing to do for a table made with the current layout.
 */
export function ensureColumns(
  sql: SqlStorage,
  table: string,
  columns: Readonly<Record<string, string>>,
): void {
  const row = sql
    .exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table)
    .toArray()[0];
  if (!row) return;
  for (const [name, type] of Object.entries(columns))
    if (!new RegExp(`\\b${name}\\b`).test(row.sql))
      sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
}

/** Stored column order, for INSERTs. */
export const ENTRY_COLUMNS = [
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
  'prev_hash',
  'hash',
  'source',
  'key_shape',
  'attempts',
  'last_at_ms',
] as const;

export type EntryRow = Record<(typeof ENTRY_COLUMNS)[number], SqlStorageValue>;

export function entryValues(entry: AuditEntry): SqlStorageValue[] {
  return ENTRY_COLUMNS.map((c) => entry[c] ?? null);
}

export function rowToEntry(chain: string, row: Record<string, SqlStorageValue>): AuditEntry {
  const num = (v: SqlStorageValue) => (v === null ? null : Number(v));
  const str = (v: SqlStorageValue) => (v === null ? null : String(v));
  return {
    chain,
    seq: Number(row.seq),
    kind: row.kind as EntryKind,
    call_seq: num(row.call_seq as SqlStorageValue),
    at: new Date(Number(row.at_ms)).toISOString(),
    at_ms: Number(row.at_ms),
    agent_id: str(row.agent_id as SqlStorageValue),
    agent_name: str(row.agent_name as SqlStorageValue),
    channel: row.channel as EntryInput['channel'],
    method: String(row.method),
    path_template: str(row.path_template as SqlStorageValue),
    entry: str(row.entry as SqlStorageValue),
    area: str(row.area as SqlStorageValue),
    access: row.access as EntryInput['access'],
    decision: row.decision as Decision,
    reason: row.reason as DecisionReason,
    upstream_status: num(row.upstream_status as SqlStorageValue),
    latency_ms: Number(row.latency_ms),
    request_id: String(row.request_id),
    upstream_request_id: str(row.upstream_request_id as SqlStorageValue),
    idempotency_key: str(row.idempotency_key as SqlStorageValue),
    amount: num(row.amount as SqlStorageValue),
    currency: str(row.currency as SqlStorageValue),
    prev_hash: String(row.prev_hash),
    hash: String(row.hash),
    // Only an `attempts` entry carries these (and hashes them): other kinds export exactly as before.
    ...(row.kind === 'attempts'
      ? {
          source: str(row.source as SqlStorageValue),
          key_shape: str(row.key_shape as SqlStorageValue) as KeyShape | null,
          attempts: num(row.attempts as SqlStorageValue),
          last_at_ms: num(row.last_at_ms as SqlStorageValue),
        }
      : {}),
  };
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
