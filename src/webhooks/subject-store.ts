import { redact } from '../http';
import { eventTimeKey } from './event-time';
import type {
  EventDetail,
  EventStatus,
  EventSummary,
  HandlerRun,
  RecordInput,
  RecordResult,
  RunStatus,
} from './inbox-types';
import {
  addToFold,
  disputeFromFold,
  FOLD_VERSION,
  foldEvents,
  type ProjectionFold,
  paymentFromFold,
} from './projection';
import { migrateShardRetention, recallForgotten } from './retention';

/**
 * SQLite layout of an inbox shard: one Durable Object holds every subject (payment, dispute or event id)
 * that hashes to it (see shard.ts, docs/storage.md), so anything about one subject is scoped by
 * `subject`, while event ids stay unique across the shard. Every function is synchronous: inside a
 * Durable Object, SQL without an `await` between reads and writes is atomic, which is what makes
 * "record once" and "claim a run once" hold.
 */
export function migrateSubject(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS events (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      created_on TEXT NOT NULL,
      subject TEXT NOT NULL,
      subject_kind TEXT NOT NULL,
      known INTEGER NOT NULL,
      body TEXT NOT NULL,
      data TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      deliveries INTEGER NOT NULL,
      last_delivery_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      replays INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL DEFAULT 1,
      indexed_version INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS runs (
      event_id TEXT NOT NULL,
      handler TEXT NOT NULL,
      replay INTEGER NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      last_error TEXT,
      finished_at INTEGER,
      PRIMARY KEY (event_id, handler, replay)
    );
    CREATE INDEX IF NOT EXISTS runs_due ON runs (status, next_at);
    CREATE TABLE IF NOT EXISTS projection (
      subject TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      json TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `);
  // The id memory of pruned events (retention.ts): part of "record once" past the retention window.
  migrateShardRetention(sql);
  migrateEventTime(sql);
  migrateEventIndexes(sql);
  migrateProjectionFold(sql);
}

/**
 * v3: `projection.fold`, what the projection is computed from (projection.ts), so a delivery adds its
 * event to it instead of re-reading the subject's events. Rows from before have none and are rebuilt
 * from their events at their subject's next delivery.
 */
function migrateProjectionFold(sql: SqlStorage): void {
  const columns = sql
    .exec<{ name: string }>("SELECT name FROM pragma_table_info('projection')")
    .toArray()
    .map((c) => c.name);
  if (!columns.includes('fold')) sql.exec('ALTER TABLE projection ADD COLUMN fold TEXT');
}

/**
 * v2: `created_key`, the event time as a sortable key (event-time.ts). `created_on` as text does not sort
 * by time (its fractional digits vary), so handler order and the demo feed sort by this column. Rows
 * from before get theirs computed here, once, when the column is added.
 */
function migrateEventTime(sql: SqlStorage): void {
  const columns = sql
    .exec<{ name: string }>("SELECT name FROM pragma_table_info('events')")
    .toArray()
    .map((c) => c.name);
  if (!columns.includes('created_key')) {
    sql.exec('ALTER TABLE events ADD COLUMN created_key TEXT');
    const stale = sql.exec<{ id: string; created_on: string }>('SELECT id, created_on FROM events').toArray();
    for (const r of stale)
      sql.exec('UPDATE events SET created_key = ? WHERE id = ?', eventTimeKey(r.created_on), r.id);
  }
  sql.exec('CREATE INDEX IF NOT EXISTS events_subject_time ON events (subject, created_key, id)');
}

/** v3's indexes on `events` (each statement does nothing once applied). */
function migrateEventIndexes(sql: SqlStorage): void {
  // Superseded by events_subject_time (created_on as text does not sort by time); one index less to
  // maintain on every insert.
  sql.exec('DROP INDEX IF EXISTS events_subject');
  // The events whose catalogue row is stale, found without reading the shard: the alarm asks after every
  // batch of deliveries, and a shard holds days of events.
  sql.exec('CREATE INDEX IF NOT EXISTS events_unindexed ON events (id) WHERE indexed_version < version');
}

/**
 * Records a delivery. The first delivery of an event inserts it, creates one pending run per handler
 * and refreshes the projection — all in one synchronous step; any later delivery only counts itself.
 */
export function recordEvent(
  sql: SqlStorage,
  input: RecordInput,
  handlerNames: readonly string[],
  now: number,
): RecordResult {
  const existing = sql
    .exec<{ deliveries: number; status: string }>(
      'SELECT deliveries, status FROM events WHERE id = ?',
      input.id,
    )
    .toArray()[0];
  if (existing) {
    sql.exec(
      'UPDATE events SET deliveries = deliveries + 1, last_delivery_at = ?, version = version + 1 WHERE id = ?',
      now,
      input.id,
    );
    return { first: false, deliveries: existing.deliveries + 1, status: existing.status as EventStatus };
  }
  // Pruned, but its id is still remembered: a late redelivery is a duplicate, not a new event.
  const forgotten = recallForgotten(sql, input.id, now);
  if (forgotten) return forgotten;
  const status: EventStatus = handlerNames.length === 0 ? 'processed' : 'pending';
  const createdKey = eventTimeKey(input.created_on);
  sql.exec(
    `INSERT INTO events (id, type, created_on, created_key, subject, subject_kind, known, body, data,
       received_at, deliveries, last_delivery_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    input.id,
    input.type,
    input.created_on,
    createdKey,
    input.subject,
    input.subject_kind,
    input.known ? 1 : 0,
    input.body,
    input.data,
    now,
    now,
    status,
  );
  for (const h of handlerNames) {
    sql.exec(
      "INSERT INTO runs (event_id, handler, replay, status, next_at) VALUES (?, ?, 0, 'pending', ?)",
      input.id,
      h,
      now,
    );
  }
  addToProjection(sql, input, createdKey, now);
  return { first: true, deliveries: 1, status };
}

/**
 * Adds a newly stored event to its subject's projection: to the stored fold when there is one (the cost
 * does not grow with the subject's events), otherwise rebuilt from every stored event of the subject,
 * this one included (a new subject, or a row from before folds were kept). Order-independent either way
 * (projection.ts).
 */
function addToProjection(sql: SqlStorage, input: RecordInput, createdKey: string, now: number): void {
  const kind = input.subject_kind;
  if (kind !== 'payment' && kind !== 'dispute') return;
  const row = sql
    .exec<{ fold: string | null }>('SELECT fold FROM projection WHERE subject = ?', input.subject)
    .toArray()[0];
  let fold = row?.fold ? storedFold(row.fold) : null;
  if (fold) {
    const event = {
      id: input.id,
      type: input.type,
      created_on: input.created_on,
      data: JSON.parse(input.data),
    };
    addToFold(fold, event, createdKey);
  } else {
    fold = foldEvents(
      sql
        .exec<{ id: string; type: string; created_on: string; data: string }>(
          'SELECT id, type, created_on, data FROM events WHERE subject = ?',
          input.subject,
        )
        .toArray()
        .map((r) => ({ id: r.id, type: r.type, created_on: r.created_on, data: JSON.parse(r.data) })),
    );
  }
  const projected =
    kind === 'payment' ? paymentFromFold(input.subject, fold) : disputeFromFold(input.subject, fold);
  if (!projected) return;
  sql.exec(
    `INSERT INTO projection (subject, kind, json, updated_at, fold) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (subject) DO UPDATE SET kind = excluded.kind, json = excluded.json,
         updated_at = excluded.updated_at, fold = excluded.fold`,
    input.subject,
    kind,
    JSON.stringify(projected),
    now,
    JSON.stringify(fold),
  );
}

/** A stored fold, or null when it was written in another shape (it is then rebuilt). */
function storedFold(text: string): ProjectionFold | null {
  const fold = JSON.parse(text) as ProjectionFold;
  return fold.v === FOLD_VERSION ? fold : null;
}

/** The stored projection as JSON text, or null. */
export function readProjection(sql: SqlStorage, subject: string, kind: string): string | null {
  const row = sql
    .exec<{ json: string }>('SELECT json FROM projection WHERE subject = ? AND kind = ?', subject, kind)
    .toArray()[0];
  return row?.json ?? null;
}

/** A run claimed for execution, with what the handler needs. */
export interface ClaimedRun {
  event_id: string;
  handler: string;
  replay: number;
  attempt: number;
  type: string;
  created_on: string;
  subject: string;
  body: string;
  data: string;
}

/**
 * Claims up to `limit` due runs of any subject in the shard, oldest event first (so each subject's events
 * are handed over in event-time order: `created_key`, the parsed `created_on`), by marking them `running`
 * before any handler starts, so a second, overlapping alarm cannot pick the same run. A run waiting out a retry backoff is not due, so it
 * never holds back other subjects' runs.
 */
export function claimDueRuns(sql: SqlStorage, now: number, limit: number): ClaimedRun[] {
  const due = sql
    .exec<Omit<ClaimedRun, 'attempt'> & { attempts: number }>(
      `SELECT r.event_id, r.handler, r.replay, r.attempts, e.type, e.created_on, e.subject, e.body, e.data
         FROM runs r JOIN events e ON e.id = r.event_id
        WHERE r.status = 'pending' AND r.next_at <= ?
        ORDER BY e.created_key, e.id, r.replay, r.handler LIMIT ?`,
      now,
      limit,
    )
    .toArray();
  return due.map(({ attempts, ...r }) => {
    sql.exec(
      "UPDATE runs SET status = 'running', attempts = attempts + 1 WHERE event_id = ? AND handler = ? AND replay = ?",
      r.event_id,
      r.handler,
      r.replay,
    );
    return { ...r, attempt: attempts + 1 };
  });
}

/** Records how a claimed run ended and refreshes its event's status. */
export function finishRun(
  sql: SqlStorage,
  run: ClaimedRun,
  outcome: { status: RunStatus; error?: string; nextAt?: number },
  now: number,
): void {
  sql.exec(
    `UPDATE runs SET status = ?, last_error = ?, next_at = ?, finished_at = ?
      WHERE event_id = ? AND handler = ? AND replay = ?`,
    outcome.status,
    outcome.error ?? null,
    outcome.nextAt ?? now,
    outcome.status === 'pending' ? null : now,
    run.event_id,
    run.handler,
    run.replay,
  );
  refreshEventStatus(sql, run.event_id);
}

/**
 * An event's status from the latest run of each handler: any still due → pending (retrying once one
 * has failed); else any dead → dead_lettered; else processed.
 */
export function refreshEventStatus(sql: SqlStorage, eventId: string): EventStatus {
  const latest = sql
    .exec<{ status: string; attempts: number }>(
      `SELECT r.status, r.attempts FROM runs r
        WHERE r.event_id = ? AND r.replay = (SELECT MAX(replay) FROM runs x WHERE x.event_id = r.event_id AND x.handler = r.handler)`,
      eventId,
    )
    .toArray();
  let status: EventStatus = 'processed';
  if (latest.some((r) => r.status === 'pending' || r.status === 'running')) {
    status = latest.some((r) => (r.status === 'pending' || r.status === 'running') && r.attempts > 0)
      ? 'retrying'
      : 'pending';
  } else if (latest.some((r) => r.status === 'dead')) status = 'dead_lettered';
  sql.exec('UPDATE events SET status = ?, version = version + 1 WHERE id = ?', status, eventId);
  return status;
}

/** Runs left `running` by an instance that no longer exists: the attempt is counted as failed. */
export function releaseInterruptedRuns(sql: SqlStorage, now: number): void {
  sql.exec(
    "UPDATE runs SET status = 'pending', next_at = ?, last_error = 'interrupted' WHERE status = 'running'",
    now,
  );
}

/** The earliest time a pending run is due, or null. */
export function nextDueAt(sql: SqlStorage): number | null {
  const row = sql
    .exec<{ next: number | null }>("SELECT MIN(next_at) AS next FROM runs WHERE status = 'pending'")
    .toArray()[0];
  return row?.next ?? null;
}

/**
 * Starts a deliberate re-run of an event's handlers (all currently registered for its type, or the
 * named one), as replay number n. Returns null when the event is unknown here.
 */
export function startReplay(
  sql: SqlStorage,
  eventId: string,
  handlerNamesFor: (type: string) => string[],
  now: number,
): { replay: number; handlers: string[] } | null {
  const event = sql.exec<{ type: string }>('SELECT type FROM events WHERE id = ?', eventId).toArray()[0];
  if (!event) return null;
  const max = sql
    .exec<{ m: number | null }>('SELECT MAX(replay) AS m FROM runs WHERE event_id = ?', eventId)
    .toArray()[0];
  const events = sql
    .exec<{ replays: number }>('SELECT replays FROM events WHERE id = ?', eventId)
    .toArray()[0];
  const replay = Math.max(max?.m ?? 0, events?.replays ?? 0) + 1;
  const names = handlerNamesFor(event.type);
  for (const h of names) {
    sql.exec(
      "INSERT INTO runs (event_id, handler, replay, status, next_at) VALUES (?, ?, ?, 'pending', ?)",
      eventId,
      h,
      replay,
      now,
    );
  }
  sql.exec('UPDATE events SET replays = ? WHERE id = ?', replay, eventId);
  refreshEventStatus(sql, eventId);
  return { replay, handlers: names };
}

type EventRow = {
  id: string;
  subject: string;
  type: string;
  status: string;
  created_on: string;
  received_at: number;
  deliveries: number;
  replays: number;
  known: number;
  body: string;
  version: number;
};

function deadHandlers(sql: SqlStorage, eventId: string): string {
  return sql
    .exec<{ handler: string }>(
      `SELECT DISTINCT r.handler FROM runs r WHERE r.event_id = ? AND r.status = 'dead'
         AND r.replay = (SELECT MAX(replay) FROM runs x WHERE x.event_id = r.event_id AND x.handler = r.handler)
       ORDER BY r.handler`,
      eventId,
    )
    .toArray()
    .map((r) => r.handler)
    .join(',');
}

function summaryOf(sql: SqlStorage, r: Omit<EventRow, 'body' | 'known'>): EventSummary {
  return {
    id: r.id,
    subject: r.subject,
    type: r.type,
    status: r.status as EventStatus,
    created_on: r.created_on,
    received_at: r.received_at,
    deliveries: r.deliveries,
    replays: r.replays,
    // A processed event has no dead handler run (refreshEventStatus): no need to ask.
    dead_handlers: r.status === 'processed' ? '' : deadHandlers(sql, r.id),
  };
}

/** The columns a summary reads: not the body, which is most of a row. */
const SUMMARY_COLUMNS = 'id, subject, type, status, created_on, received_at, deliveries, replays, version';

/** Events whose listing row is stale, with the version each summary reflects. */
export function unindexed(sql: SqlStorage, limit: number): Array<{ summary: EventSummary; version: number }> {
  return sql
    .exec<Omit<EventRow, 'body' | 'known'>>(
      `SELECT ${SUMMARY_COLUMNS} FROM events WHERE indexed_version < version LIMIT ?`,
      limit,
    )
    .toArray()
    .map((r) => ({ summary: summaryOf(sql, r), version: r.version }));
}

/** Whether any event's listing row is stale (events_unindexed answers without a scan). */
export function hasUnindexed(sql: SqlStorage): boolean {
  return sql.exec('SELECT 1 FROM events WHERE indexed_version < version LIMIT 1').toArray().length > 0;
}

export function markIndexed(sql: SqlStorage, done: ReadonlyArray<{ id: string; version: number }>): void {
  for (const d of done) {
    sql.exec('UPDATE events SET indexed_version = MAX(indexed_version, ?) WHERE id = ?', d.version, d.id);
  }
}

export function eventDetail(sql: SqlStorage, eventId: string): EventDetail | null {
  const row = sql.exec<EventRow>('SELECT * FROM events WHERE id = ?', eventId).toArray()[0];
  if (!row) return null;
  const runs: HandlerRun[] = sql
    .exec<{
      handler: string;
      replay: number;
      status: string;
      attempts: number;
      next_at: number;
      last_error: string | null;
      finished_at: number | null;
    }>('SELECT * FROM runs WHERE event_id = ? ORDER BY replay, handler', eventId)
    .toArray()
    .map((r) => ({
      handler: r.handler,
      replay: r.replay,
      status: r.status as RunStatus,
      attempts: r.attempts,
      next_attempt_at: r.status === 'pending' ? new Date(r.next_at).toISOString() : null,
      last_error: r.last_error,
      finished_at: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
    }));
  return {
    ...summaryOf(sql, row),
    known: row.known === 1,
    event: JSON.stringify(redact(JSON.parse(row.body))),
    runs,
  };
}

/** One subject's events, oldest first (what the public demo feed shows: type and times only). */
export function subjectEvents(
  sql: SqlStorage,
  subject: string,
): Array<{ id: string; type: string; created_on: string; received_at: number; status: string }> {
  return sql
    .exec<{ id: string; type: string; created_on: string; received_at: number; status: string }>(
      'SELECT id, type, created_on, received_at, status FROM events WHERE subject = ? ORDER BY created_key, id',
      subject,
    )
    .toArray();
}
