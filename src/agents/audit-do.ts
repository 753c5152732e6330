import { DurableObject } from 'cloudflare:workers';
import { type AuditInput, type AuditRecord, chainHash, GENESIS_HASH } from './audit-record';

interface AuditRow extends Record<string, SqlStorageValue> {
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
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  agent_id?: string;
  /** Inclusive, milliseconds since the epoch. */
  from_ms?: number;
  /** Exclusive. */
  to_ms?: number;
  decision?: 'allowed' | 'denied' | 'failed';
  area?: string;
  /** Only records with `seq` greater than this (export paging). */
  after_seq?: number;
}

export interface AuditPage {
  total_count: number;
  limit: number;
  skip: number;
  data: AuditRecord[];
}

export interface AuditVerification {
  valid: boolean;
  count: number;
  /** The hash of the last record (the chain head), or the genesis hash when empty. */
  head: string;
  /** The first record whose hash or link does not match, when invalid. */
  first_invalid_seq: number | null;
}

function toRecord(row: AuditRow): AuditRecord {
  return {
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
    decision: row.decision as AuditRecord['decision'],
    reason: row.reason as AuditRecord['reason'],
    upstream_status: row.upstream_status,
    latency_ms: row.latency_ms,
    request_id: row.request_id,
    upstream_request_id: row.upstream_request_id,
    idempotency_key: row.idempotency_key,
    amount: row.amount,
    currency: row.currency,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

function where(filter: AuditFilter): { clause: string; args: SqlStorageValue[] } {
  const conditions: Array<[string, SqlStorageValue | undefined]> = [
    ['agent_id = ?', filter.agent_id],
    ['at_ms >= ?', filter.from_ms],
    ['at_ms < ?', filter.to_ms],
    ['decision = ?', filter.decision],
    ['area = ?', filter.area],
    ['seq > ?', filter.after_seq],
  ];
  const used = conditions.filter(([, value]) => value !== undefined);
  return {
    clause: used.length ? `WHERE ${used.map(([sql]) => sql).join(' AND ')}` : '',
    args: used.map(([, value]) => value as SqlStorageValue),
  };
}

/**
 * The append-only, hash-chained audit log of agent calls. One instance (`getByName('global')`) so the
 * chain is a single sequence; the Durable Object serialises appends, and `append` does its read of the
 * head and its insert with no await in between, so N concurrent calls give N records in one chain.
 * There is no update or delete method: the only writer is `append`.
 */
export class AuditLog extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY,
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
        hash TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS audit_agent ON audit (agent_id, seq);
      CREATE INDEX IF NOT EXISTS audit_time ON audit (at_ms);
    `);
  }

  /** Appends one record, chained to the current head. Returns its sequence number and hash. */
  append(input: AuditInput): { seq: number; hash: string } {
    const sql = this.ctx.storage.sql;
    const head = sql
      .exec<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')
      .toArray()[0];
    const seq = (head?.seq ?? 0) + 1;
    const prev = head?.hash ?? GENESIS_HASH;
    const hash = chainHash(prev, { ...input, seq });
    sql.exec(
      `INSERT INTO audit (seq, at_ms, agent_id, agent_name, channel, method, path_template, entry, area, access,
         decision, reason, upstream_status, latency_ms, request_id, upstream_request_id, idempotency_key, amount,
         currency, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      seq,
      input.at_ms,
      input.agent_id,
      input.agent_name,
      input.channel,
      input.method,
      input.path_template,
      input.entry,
      input.area,
      input.access,
      input.decision,
      input.reason,
      input.upstream_status,
      input.latency_ms,
      input.request_id,
      input.upstream_request_id,
      input.idempotency_key,
      input.amount,
      input.currency,
      prev,
      hash,
    );
    return { seq, hash };
  }

  /** Records matching the filter, oldest first. */
  query(filter: AuditFilter, limit: number, skip: number): AuditPage {
    const sql = this.ctx.storage.sql;
    const { clause, args } = where(filter);
    const total = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM audit ${clause}`, ...args).one().n;
    const rows = sql
      .exec<AuditRow>(`SELECT * FROM audit ${clause} ORDER BY seq LIMIT ? OFFSET ?`, ...args, limit, skip)
      .toArray();
    return { total_count: total, limit, skip, data: rows.map(toRecord) };
  }

  /**
   * Walks the whole chain recomputing every hash. Any edited field, deleted or reordered record breaks
   * a hash or a link at that point. (Truncating the newest records is only detectable against a head
   * kept elsewhere: export `head` periodically.)
   */
  verify(): AuditVerification {
    const cursor = this.ctx.storage.sql.exec<AuditRow>('SELECT * FROM audit ORDER BY seq');
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for (const row of cursor) {
      const record = toRecord(row);
      if (record.seq !== expectedSeq || record.prev_hash !== prev || chainHash(prev, record) !== record.hash)
        return { valid: false, count, head: prev, first_invalid_seq: record.seq };
      prev = record.hash;
      expectedSeq++;
      count++;
    }
    return { valid: true, count, head: prev, first_invalid_seq: null };
  }
}
