import type { ApprovalDecision, ApprovalStatus, ApprovalView } from '../../model/approval-view';
import type { ApprovalIndexRow } from '../approval-index';
import { ensureColumns } from '../entry-rows';
import type { PlainResponse } from './rpc';

/**
 * An agent's approvals, in its own object (SQLite): one row per approval, keyed by the agent's idempotency
 * key (one key, one logical call: a second request under the key is a mismatch). Holds the body only
 * redacted (the hash is taken from the body as sent), the decisions, the execution in flight, and the
 * answer of the execution, which a re-send replays. docs/storage.md, "Approvals".
 */
export const APPROVALS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    entry TEXT NOT NULL,
    http_method TEXT NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    amount INTEGER,
    currency TEXT,
    channel TEXT NOT NULL,
    request_id TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    ttl_ms INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    approvers_required INTEGER NOT NULL,
    decisions TEXT NOT NULL,
    exec_seq INTEGER,
    exec_at INTEGER,
    first_sent_at INTEGER,
    executed_at INTEGER,
    response TEXT,
    version INTEGER NOT NULL,
    dirty INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS approvals_open ON approvals (status, expires_at);
  CREATE INDEX IF NOT EXISTS approvals_dirty ON approvals (dirty);
  CREATE INDEX IF NOT EXISTS approvals_requested ON approvals (requested_at);
  CREATE TABLE IF NOT EXISTS mcp_client (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    url_elicitation INTEGER NOT NULL,
    at_ms INTEGER NOT NULL
  );
`;

export interface ApprovalRow extends Record<string, SqlStorageValue> {
  id: string;
  idem_key: string;
  request_hash: string;
  entry: string;
  http_method: string;
  path: string;
  body: string;
  amount: number | null;
  currency: string | null;
  channel: string;
  request_id: string;
  requested_at: number;
  ttl_ms: number;
  expires_at: number;
  status: string;
  approvers_required: number;
  decisions: string;
  /** The `start` of the execution in flight (null: none). */
  exec_seq: number | null;
  exec_at: number | null;
  /**
   * When an execution first may have acted upstream (an unknown outcome): from then on `expires_at` is this
   * plus the upstream key's 24 hours, so retries with the key (replayed upstream, never acting twice) work.
   */
  first_sent_at: number | null;
  executed_at: number | null;
  /** The execution's answer (`PlainResponse` as JSON), replayed to later re-sends. */
  response: string | null;
  version: number;
  /** 1 while the directory's index is behind this row. */
  dirty: number;
}

/** What a new approval records. */
export type NewApproval = Pick<
  ApprovalRow,
  | 'id'
  | 'idem_key'
  | 'request_hash'
  | 'entry'
  | 'http_method'
  | 'path'
  | 'body'
  | 'amount'
  | 'currency'
  | 'channel'
  | 'request_id'
  | 'requested_at'
  | 'ttl_ms'
  | 'expires_at'
  | 'approvers_required'
>;

const TERMINAL: readonly ApprovalStatus[] = ['declined', 'expired', 'executed'];

export function decisionsOf(row: ApprovalRow): ApprovalDecision[] {
  return JSON.parse(row.decisions) as ApprovalDecision[];
}

export function storedResponse(row: ApprovalRow): PlainResponse | null {
  return row.response === null ? null : (JSON.parse(row.response) as PlainResponse);
}

export function approvalView(row: ApprovalRow, agentId: string, agentName: string): ApprovalView {
  const response = storedResponse(row);
  return {
    id: row.id,
    agent_id: agentId,
    agent_name: agentName,
    method: row.entry,
    http_method: row.http_method,
    path: row.path,
    amount: row.amount,
    currency: row.currency,
    body_redacted: JSON.parse(row.body) as unknown,
    idempotency_key: row.idem_key,
    channel: row.channel === 'mcp' ? 'mcp' : 'rest',
    requested_at: new Date(row.requested_at).toISOString(),
    expires_at: new Date(row.expires_at).toISOString(),
    status: row.status as ApprovalStatus,
    approvers_required: row.approvers_required === 2 ? 2 : 1,
    decisions: decisionsOf(row),
    executed_at: row.executed_at === null ? null : new Date(row.executed_at).toISOString(),
    executed_status: response?.status ?? null,
  };
}

export function indexRow(row: ApprovalRow, agentId: string): ApprovalIndexRow {
  return {
    id: row.id,
    agent_id: agentId,
    status: row.status as ApprovalStatus,
    requested_at: row.requested_at,
    expires_at: row.expires_at,
    version: row.version,
  };
}

/** The approvals table of one agent object. Synchronous SQL only. */
export class ApprovalStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    // Objects made before approvals existed: the table, and the profile's policy column.
    sql.exec(APPROVALS_SCHEMA);
    ensureColumns(sql, 'agent', { approval: 'TEXT' });
  }

  byId(id: string): ApprovalRow | null {
    return this.#sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', id).toArray()[0] ?? null;
  }

  byKey(key: string): ApprovalRow | null {
    return (
      this.#sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE idem_key = ?', key).toArray()[0] ?? null
    );
  }

  insert(a: NewApproval): ApprovalRow {
    this.#sql.exec(
      `INSERT INTO approvals (id, idem_key, request_hash, entry, http_method, path, body, amount, currency, channel,
         request_id, requested_at, ttl_ms, expires_at, status, approvers_required, decisions, exec_seq, exec_at,
         first_sent_at, executed_at, response, version, dirty)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, '[]', NULL, NULL, NULL, NULL, NULL, 1, 1)`,
      a.id,
      a.idem_key,
      a.request_hash,
      a.entry,
      a.http_method,
      a.path,
      a.body,
      a.amount,
      a.currency,
      a.channel,
      a.request_id,
      a.requested_at,
      a.ttl_ms,
      a.expires_at,
      a.approvers_required,
    );
    return this.byId(a.id) as ApprovalRow;
  }

  /** Marks the execution in flight (or none): not a change the directory's index shows. */
  setExecution(id: string, seq: number | null, atMs: number | null): void {
    this.#sql.exec('UPDATE approvals SET exec_seq = ?, exec_at = ? WHERE id = ?', seq, atMs, id);
  }

  /** Whether the agent's MCP client declared URL-mode elicitation at its last `initialize`. */
  urlElicitation(): boolean {
    const row = this.#sql
      .exec<{ url_elicitation: number }>('SELECT url_elicitation FROM mcp_client WHERE id = 1')
      .toArray()[0];
    return row?.url_elicitation === 1;
  }

  /** Remembers what an `initialize` declared (a write only when it changed). */
  rememberUrlElicitation(declared: boolean, atMs: number): void {
    if (this.urlElicitation() === declared) return;
    this.#sql.exec(
      'INSERT OR REPLACE INTO mcp_client (id, url_elicitation, at_ms) VALUES (1, ?, ?)',
      declared ? 1 : 0,
      atMs,
    );
  }

  /** Applies `changes` and bumps the version (the directory's copy is then behind). */
  update(id: string, changes: Partial<Omit<ApprovalRow, 'id' | 'version' | 'dirty'>>): ApprovalRow {
    const keys = Object.keys(changes);
    const sets = keys.map((k) => `${k} = ?`);
    this.#sql.exec(
      `UPDATE approvals SET ${[...sets, 'version = version + 1', 'dirty = 1'].join(', ')} WHERE id = ?`,
      ...keys.map((k) => changes[k as keyof typeof changes] ?? null),
      id,
    );
    return this.byId(id) as ApprovalRow;
  }

  /** Pending or approved approvals past `expires_at` with no execution in flight. */
  due(nowMs: number, limit: number): ApprovalRow[] {
    return this.#sql
      .exec<ApprovalRow>(
        `SELECT * FROM approvals WHERE status IN ('pending', 'approved') AND expires_at <= ? AND exec_seq IS NULL
         ORDER BY expires_at LIMIT ?`,
        nowMs,
        limit,
      )
      .toArray();
  }

  /** When the next one is due, or null. */
  nextDue(): number | null {
    const row = this.#sql
      .exec<{ t: number | null }>(
        "SELECT MIN(expires_at) AS t FROM approvals WHERE status IN ('pending', 'approved') AND exec_seq IS NULL",
      )
      .one();
    return row.t ?? null;
  }

  /** Executions in flight (their starts may have ended without telling: abandon, sweep). */
  executing(): ApprovalRow[] {
    return this.#sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE exec_seq IS NOT NULL').toArray();
  }

  list(
    status: ApprovalStatus | undefined,
    limit: number,
    skip: number,
  ): { total: number; rows: ApprovalRow[] } {
    const where = status === undefined ? '' : 'WHERE status = ?';
    const args: SqlStorageValue[] = status === undefined ? [] : [status];
    const total = this.#sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM approvals ${where}`, ...args)
      .one().n;
    const rows = this.#sql
      .exec<ApprovalRow>(
        `SELECT * FROM approvals ${where} ORDER BY requested_at DESC, id LIMIT ? OFFSET ?`,
        ...args,
        limit,
        skip,
      )
      .toArray();
    return { total, rows };
  }

  /** Rows the directory's index does not have as they are now. */
  dirty(limit: number): ApprovalRow[] {
    return this.#sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE dirty = 1 LIMIT ?', limit).toArray();
  }

  /** The directory has these versions: clean unless they changed meanwhile. */
  synced(rows: ReadonlyArray<{ id: string; version: number }>): void {
    for (const r of rows)
      this.#sql.exec('UPDATE approvals SET dirty = 0 WHERE id = ? AND version = ?', r.id, r.version);
  }

  /** Deletes finished approvals requested before `beforeMs` (at most `limit`); how many went. */
  prune(beforeMs: number, limit: number): number {
    const ids = this.#sql
      .exec<{ id: string }>(
        `SELECT id FROM approvals WHERE status IN (${TERMINAL.map(() => '?').join(', ')}) AND requested_at < ?
         ORDER BY requested_at LIMIT ?`,
        ...TERMINAL,
        beforeMs,
        limit,
      )
      .toArray();
    for (const { id } of ids) this.#sql.exec('DELETE FROM approvals WHERE id = ?', id);
    return ids.length;
  }

  /** The oldest finished approval's request time (when pruning is next due), or null. */
  oldestFinished(): number | null {
    return (
      this.#sql
        .exec<{ t: number | null }>(
          `SELECT MIN(requested_at) AS t FROM approvals WHERE status IN (${TERMINAL.map(() => '?').join(', ')})`,
          ...TERMINAL,
        )
        .one().t ?? null
    );
  }
}
