import type { AuditEntry, CallFields } from '../model/audit-entry';
import type { Decision, DecisionReason } from '../model/types';
import { CALL_FIELD_COLUMNS_SQL, ensureColumns } from './entry-rows';

/**
 * One call as `/admin/audit` shows it: its `call`/`start` entry merged with its `outcome` entry. A derived
 * projection (kept beside the chain in the agent object, and in the global index), never hashed itself.
 */
export interface AuditRecord extends CallFields {
  /** The agent id, or `anonymous`. */
  chain: string;
  /** The `seq` of the call's `call`/`start` entry in its chain. */
  seq: number;
  at: string;
  /**
   * `recorded`: the call's end is in the chain. `unrecorded`: it was sent upstream, and what happened
   * was never recorded (the Worker stopped between the answer and the outcome append); after the sweep
   * its reason is `outcome_unrecorded`.
   */
  outcome: 'recorded' | 'unrecorded';
  /** The `seq` of the outcome entry, for a call sent upstream whose outcome was appended. */
  outcome_seq: number | null;
  /** The hash of the call's `call`/`start` entry. */
  hash: string;
  /** How many calls the record stands for: 1, or an `attempts` entry's count of bad-key calls. */
  attempts: number;
  /** For bad-key attempts: the source they came from (an address, an IPv6 /64, `*`, `unknown`). */
  source: string | null;
  /** For bad-key attempts: the last one's time (`at` is the first's). */
  last_at: string | null;
}

export interface AuditFilter {
  agent_id?: string;
  /** Inclusive, milliseconds since the epoch. */
  from_ms?: number;
  /** Exclusive. */
  to_ms?: number;
  decision?: Decision;
  area?: string;
}

export interface AuditPage {
  total_count: number;
  limit: number;
  skip: number;
  data: AuditRecord[];
}

/** `pending`: a start with no outcome yet; `swept`: the sweep gave up on its outcome. */
type CallState = 'done' | 'pending' | 'swept';

export const CALLS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS calls (
    chain TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ${CALL_FIELD_COLUMNS_SQL},
    state TEXT NOT NULL,
    outcome_seq INTEGER,
    hash TEXT NOT NULL,
    source TEXT,
    attempts INTEGER,
    last_at_ms INTEGER,
    PRIMARY KEY (chain, seq)
  );
  CREATE INDEX IF NOT EXISTS calls_time ON calls (at_ms);
  CREATE INDEX IF NOT EXISTS calls_state ON calls (state, at_ms);
  CREATE INDEX IF NOT EXISTS calls_request ON calls (request_id);
`;

interface CallRow extends Record<string, SqlStorageValue> {
  chain: string;
  seq: number;
  at_ms: number;
  agent_id: string | null;
  agent_name: string | null;
  channel: string;
  method: string;
  path_template: string | null;
  entry: string | null;
  area: string | null;
  access: string | null;
  decision: string;
  reason: string;
  upstream_status: number | null;
  latency_ms: number;
  request_id: string;
  upstream_request_id: string | null;
  idempotency_key: string | null;
  amount: number | null;
  currency: string | null;
  state: string;
  outcome_seq: number | null;
  hash: string;
  source: string | null;
  attempts: number | null;
  last_at_ms: number | null;
}

function toRecord(row: CallRow): AuditRecord {
  return {
    chain: row.chain,
    seq: row.seq,
    at: new Date(row.at_ms).toISOString(),
    at_ms: row.at_ms,
    agent_id: row.agent_id,
    agent_name: row.agent_name,
    channel: row.channel as AuditRecord['channel'],
    method: row.method,
    path_template: row.path_template,
    entry: row.entry,
    area: row.area,
    access: row.access as AuditRecord['access'],
    decision: row.decision as Decision,
    reason: row.reason as DecisionReason,
    upstream_status: row.upstream_status,
    latency_ms: row.latency_ms,
    request_id: row.request_id,
    upstream_request_id: row.upstream_request_id,
    idempotency_key: row.idempotency_key,
    amount: row.amount,
    currency: row.currency,
    outcome: (row.state as CallState) === 'done' ? 'recorded' : 'unrecorded',
    outcome_seq: row.outcome_seq,
    hash: row.hash,
    attempts: row.attempts ?? 1,
    source: row.source,
    last_at: row.last_at_ms === null ? null : new Date(row.last_at_ms).toISOString(),
  };
}

function where(filter: AuditFilter): { clause: string; args: SqlStorageValue[] } {
  const conditions: Array<[string, SqlStorageValue | undefined]> = [
    ['agent_id = ?', filter.agent_id],
    ['at_ms >= ?', filter.from_ms],
    ['at_ms < ?', filter.to_ms],
    ['decision = ?', filter.decision],
    ['area = ?', filter.area],
  ];
  const used = conditions.filter(([, value]) => value !== undefined);
  return {
    clause: used.length ? `WHERE ${used.map(([sql]) => sql).join(' AND ')}` : '',
    args: used.map(([, value]) => value as SqlStorageValue),
  };
}

/**
 * The per-call projection of one or more chains. `apply` is called with every entry, in chain order;
 * everything is synchronous SQL, so it is part of the same atomic step as the append (or the ingest).
 */
export class CallsProjection {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    // Tables made before bad-key attempts were aggregated.
    ensureColumns(sql, 'calls', { source: 'TEXT', attempts: 'INTEGER', last_at_ms: 'INTEGER' });
  }

  apply(entry: AuditEntry): void {
    if (entry.kind === 'outcome') {
      if (entry.call_seq === null) return;
      this.#sql.exec(
        `UPDATE calls SET decision = ?, reason = ?, upstream_status = ?, latency_ms = ?, upstream_request_id = ?,
           idempotency_key = ?, amount = ?, currency = ?, state = ?, outcome_seq = ?
         WHERE chain = ? AND seq = ?`,
        entry.decision,
        entry.reason,
        entry.upstream_status,
        entry.latency_ms,
        entry.upstream_request_id,
        entry.idempotency_key,
        entry.amount,
        entry.currency,
        entry.reason === 'outcome_unrecorded' ? 'swept' : 'done',
        entry.seq,
        entry.chain,
        entry.call_seq,
      );
      return;
    }
    this.#sql.exec(
      `INSERT OR IGNORE INTO calls (chain, seq, at_ms, agent_id, agent_name, channel, method, path_template, entry,
         area, access, decision, reason, upstream_status, latency_ms, request_id, upstream_request_id,
         idempotency_key, amount, currency, state, outcome_seq, hash, source, attempts, last_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
      entry.chain,
      entry.seq,
      entry.at_ms,
      entry.agent_id,
      entry.agent_name,
      entry.channel,
      entry.method,
      entry.path_template,
      entry.entry,
      entry.area,
      entry.access,
      entry.decision,
      entry.reason,
      entry.upstream_status,
      entry.latency_ms,
      entry.request_id,
      entry.upstream_request_id,
      entry.idempotency_key,
      entry.amount,
      entry.currency,
      entry.kind === 'start' ? 'pending' : 'done',
      entry.hash,
      entry.source ?? null,
      entry.attempts ?? null,
      entry.last_at_ms ?? null,
    );
  }

  /** Drops the calls of a chain whose `call`/`start` entry is at or before `throughSeq` (pruned). */
  forget(chain: string, throughSeq: number): void {
    this.#sql.exec('DELETE FROM calls WHERE chain = ? AND seq <= ?', chain, throughSeq);
  }

  /** The oldest start still waiting for its outcome (pruning stops before it), or null. */
  oldestPendingSeq(): number | null {
    return (
      this.#sql.exec<{ s: number | null }>("SELECT MIN(seq) AS s FROM calls WHERE state = 'pending'").one()
        .s ?? null
    );
  }

  /** Calls matching the filter, in the order they were recorded (oldest first). */
  query(filter: AuditFilter, limit: number, skip: number): AuditPage {
    const { clause, args } = where(filter);
    const total = this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM calls ${clause}`, ...args).one().n;
    const rows = this.#sql
      .exec<CallRow>(`SELECT * FROM calls ${clause} ORDER BY rowid LIMIT ? OFFSET ?`, ...args, limit, skip)
      .toArray();
    return { total_count: total, limit, skip, data: rows.map(toRecord) };
  }

  /** A start sent upstream whose outcome is not (yet) in the chain. */
  pending(chain: string, seq: number): boolean {
    return (
      this.#sql
        .exec('SELECT 1 FROM calls WHERE chain = ? AND seq = ? AND state = ?', chain, seq, 'pending')
        .toArray().length > 0
    );
  }

  /** The pending start of a request (after a round trip whose answer was lost), if any. */
  pendingByRequest(requestId: string): number | null {
    const row = this.#sql
      .exec<{ seq: number }>(
        "SELECT seq FROM calls WHERE request_id = ? AND state = 'pending' ORDER BY seq DESC LIMIT 1",
        requestId,
      )
      .toArray()[0];
    return row?.seq ?? null;
  }

  /** Pending starts older than `beforeMs`, oldest first; and the oldest pending one's time. */
  stale(beforeMs: number, limit: number): { seqs: number[]; oldestPendingMs: number | null } {
    const seqs = this.#sql
      .exec<{ seq: number }>(
        "SELECT seq FROM calls WHERE state = 'pending' AND at_ms < ? ORDER BY at_ms LIMIT ?",
        beforeMs,
        limit,
      )
      .toArray()
      .map((r) => r.seq);
    const oldest = this.#sql
      .exec<{ at_ms: number }>("SELECT at_ms FROM calls WHERE state = 'pending' ORDER BY at_ms LIMIT 1")
      .toArray()[0];
    return { seqs, oldestPendingMs: oldest?.at_ms ?? null };
  }
}
