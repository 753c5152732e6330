import { redactString } from '../http';
import type { EventSummary, ListFilter, Page, QuarantineEntry, QuarantineRecord } from './inbox-types';

/**
 * SQLite layout of the inbox catalogue: one Durable Object (name `catalogue`) holding a summary row per
 * event for operator listing, plus the quarantine of signed-but-malformed deliveries. Subjects push their
 * summaries here after the fact, so the catalogue is never on the delivery's critical path.
 */
export function migrateCatalogue(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS catalogue (
      id TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      type TEXT NOT NULL,
      status TEXT NOT NULL,
      created_on TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      deliveries INTEGER NOT NULL,
      replays INTEGER NOT NULL,
      dead_handlers TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS catalogue_received ON catalogue (received_at DESC, id);
    CREATE INDEX IF NOT EXISTS catalogue_subject ON catalogue (subject);
    CREATE INDEX IF NOT EXISTS catalogue_status ON catalogue (status);
    CREATE TABLE IF NOT EXISTS quarantine (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      reason TEXT NOT NULL,
      codes TEXT NOT NULL,
      size INTEGER NOT NULL,
      body TEXT NOT NULL
    );
  `);
  migrateQuarantine(sql);
}

/**
 * v2 of the quarantine: one row per distinct body (`digest`), counting redeliveries. Rows from before
 * have no digest and stay as they are (each its own entry).
 */
function migrateQuarantine(sql: SqlStorage): void {
  const columns = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('quarantine')")
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has('digest')) sql.exec('ALTER TABLE quarantine ADD COLUMN digest TEXT');
  if (!columns.has('deliveries'))
    sql.exec('ALTER TABLE quarantine ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 1');
  if (!columns.has('last_received_at'))
    sql.exec('ALTER TABLE quarantine ADD COLUMN last_received_at INTEGER');
  sql.exec('CREATE UNIQUE INDEX IF NOT EXISTS quarantine_digest ON quarantine (digest)');
}

export function upsertSummaries(sql: SqlStorage, rows: readonly EventSummary[]): void {
  for (const r of rows) {
    sql.exec(
      `INSERT OR REPLACE INTO catalogue (id, subject, type, status, created_on, received_at, deliveries, replays,
         dead_handlers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.subject,
      r.type,
      r.status,
      r.created_on,
      r.received_at,
      r.deliveries,
      r.replays,
      r.dead_handlers,
    );
  }
}

export interface ListedEvent extends Omit<EventSummary, 'received_at' | 'dead_handlers'> {
  received_at: string;
  dead_handlers: string[];
}

/**
 * An event summary as the admin API shows it, in the listing and the detail alike: `received_at` as an
 * ISO string, `dead_handlers` as an array (stored as epoch ms and a comma-separated string).
 */
export function listedEvent<T extends EventSummary>(
  r: T,
): Omit<T, 'received_at' | 'dead_handlers'> & { received_at: string; dead_handlers: string[] } {
  return {
    ...r,
    received_at: new Date(r.received_at).toISOString(),
    dead_handlers: r.dead_handlers ? r.dead_handlers.split(',') : [],
  };
}

/** Newest first, filtered; `total_count` counts every match, like the guide's list endpoints. */
export function listSummaries(sql: SqlStorage, f: ListFilter): Page<ListedEvent> {
  const where: string[] = [];
  const args: string[] = [];
  if (f.type) {
    where.push('type = ?');
    args.push(f.type);
  }
  if (f.subject) {
    where.push('subject = ?');
    args.push(f.subject);
  }
  if (f.status) {
    where.push('status = ?');
    args.push(f.status);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM catalogue ${clause}`, ...args).one().n;
  const data = sql
    .exec<EventSummary & Record<string, SqlStorageValue>>(
      `SELECT * FROM catalogue ${clause} ORDER BY received_at DESC, id LIMIT ? OFFSET ?`,
      ...args,
      f.limit,
      f.skip,
    )
    .toArray()
    .map((r) => listedEvent<EventSummary>(r));
  return { total_count: total, limit: f.limit, skip: f.skip, data };
}

/**
 * Whether a shard's storage holds the event, without creating its tables: a shard that never stored an
 * event has no `events` table, and a lookup must not leave one behind.
 */
export function holdsEvent(sql: SqlStorage, id: string): boolean {
  const table = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'events'")
    .one().n;
  return table > 0 && sql.exec('SELECT 1 FROM events WHERE id = ?', id).toArray().length > 0;
}

export function locateEvent(sql: SqlStorage, id: string): string | null {
  return (
    sql.exec<{ subject: string }>('SELECT subject FROM catalogue WHERE id = ?', id).toArray()[0]?.subject ??
    null
  );
}

/** How much of a quarantined body is kept: enough to diagnose, bounded so storage stays small. */
const QUARANTINE_BODY_BYTES = 16 * 1024;

/** Keeps a quarantined delivery: a new entry for a new body, a redelivery counted on the existing one. */
export function addQuarantine(
  sql: SqlStorage,
  q: QuarantineRecord,
  now: number,
): { id: number; deliveries: number } {
  const body = q.body.slice(0, QUARANTINE_BODY_BYTES);
  return sql
    .exec<{ id: number; deliveries: number }>(
      `INSERT INTO quarantine (request_id, received_at, last_received_at, reason, codes, size, body, digest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(digest) DO UPDATE SET deliveries = deliveries + 1, last_received_at = excluded.last_received_at
       RETURNING id, deliveries`,
      q.request_id,
      now,
      now,
      q.reason,
      q.codes.join(','),
      q.size,
      body,
      q.digest,
    )
    .one();
}

export function listQuarantine(sql: SqlStorage, limit: number, skip: number): Page<QuarantineEntry> {
  const total = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM quarantine').one().n;
  const data = sql
    .exec<{
      id: number;
      request_id: string;
      received_at: number;
      last_received_at: number | null;
      deliveries: number;
      reason: string;
      codes: string;
      size: number;
      body: string;
    }>('SELECT * FROM quarantine ORDER BY id DESC LIMIT ? OFFSET ?', limit, skip)
    .toArray()
    .map((r) => ({
      id: r.id,
      request_id: r.request_id,
      received_at: new Date(r.received_at).toISOString(),
      last_received_at: new Date(r.last_received_at ?? r.received_at).toISOString(),
      deliveries: r.deliveries,
      reason: r.reason,
      codes: r.codes ? r.codes.split(',') : [],
      size: r.size,
      preview: redactString(r.body.slice(0, 512)),
    }));
  return { total_count: total, limit, skip, data };
}
