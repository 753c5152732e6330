import type { AuditEntry, EntryInput, EntryKind, KeyShape } from '../model/audit-entry';
import type { Decision, DecisionReason } from '../model/types';

/**
 * How an audit entry is stored: the same columns in an agent's chain table and in the global index's copy,
 * and the conversions between a row and an `AuditEntry` (whose format and hash live in model/audit-entry.ts).
 */

/** The columns of `CallFields` (model/audit-entry.ts): in the entries' tables and in the calls projection. */
export const CALL_FIELD_COLUMNS_SQL = `
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
  currency TEXT`;

/** The SQL columns of an entry (both the agent's chain table and the index's copy). */
export const ENTRY_COLUMNS_SQL = `
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  call_seq INTEGER,
  ${CALL_FIELD_COLUMNS_SQL},
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  source TEXT,
  key_shape TEXT,
  attempts INTEGER,
  last_at_ms INTEGER,
  approval_id TEXT,
  request_hash TEXT,
  approver_id TEXT,
  approver_name TEXT,
  approver_credential_id TEXT,
  approver_via TEXT,
  decline_reason TEXT`;

/** Columns added after the first layout: `ensureColumns` adds them to tables made before. */
export const LATER_ENTRY_COLUMNS = {
  source: 'TEXT',
  key_shape: 'TEXT',
  attempts: 'INTEGER',
  last_at_ms: 'INTEGER',
  approval_id: 'TEXT',
  request_hash: 'TEXT',
  approver_id: 'TEXT',
  approver_name: 'TEXT',
  approver_credential_id: 'TEXT',
  approver_via: 'TEXT',
  decline_reason: 'TEXT',
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
  'approval_id',
  'request_hash',
  'approver_id',
  'approver_name',
  'approver_credential_id',
  'approver_via',
  'decline_reason',
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
    // Only an `approval` entry carries these (and hashes them).
    ...(row.kind === 'approval'
      ? {
          approval_id: str(row.approval_id as SqlStorageValue),
          request_hash: str(row.request_hash as SqlStorageValue),
          approver_id: str(row.approver_id as SqlStorageValue),
          approver_name: str(row.approver_name as SqlStorageValue),
          approver_credential_id: str(row.approver_credential_id as SqlStorageValue),
          approver_via: str(row.approver_via as SqlStorageValue) as AuditEntry['approver_via'],
          decline_reason: str(row.decline_reason as SqlStorageValue),
        }
      : {}),
  };
}
