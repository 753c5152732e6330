import type { EventStatus, RecordResult } from './inbox-types';
import type { RetentionPolicy } from './retention-settings';

/**
 * Pruning for the webhook inbox (docs/storage.md, "Retention"). Synchronous SQL only: inside a Durable
 * Object a step with no `await` is atomic, so pruning never interleaves with `record()` — an event is
 * either still stored or already remembered by its id, never neither.
 *
 * A shard prunes whole **subjects** (a payment, a dispute, or an event about neither): the projection is
 * recomputed from the set of a subject's events, so removing some of them while the subject is still
 * active would change its status and amounts. A subject goes once every event of it is past retention
 * and none has work left (a pending or running handler run).
 */

/** Most events (with their handler runs) one alarm removes; the rest wait for the next alarm. */
export const PRUNE_BATCH = 500;
/** Most event rows one alarm looks at to find prunable subjects (subjects still in use are skipped). */
export const PRUNE_SCAN_LIMIT = 2_000;
/** The catalogue keeps at most this many quarantine entries (each ≤ 16 KiB), dropping the oldest. */
export const QUARANTINE_MAX_ENTRIES = 10_000;
/**
 * A catalogue row no shard has said anything about for this long past the longest retention is an orphan
 * (its shard forgot it without telling, e.g. after `WEBHOOK_INBOX_SHARDS` changed) and is removed.
 */
export const CATALOGUE_ORPHAN_GRACE_MS = 30 * 24 * 60 * 60 * 1000;

/** Where the previous alarm's scan stopped: the next one carries on from there. */
export interface ScanCursor {
  at: number;
  id: string;
}

export interface ShardPruneResult {
  /** Events removed (their runs with them). */
  events: number;
  /** Subjects removed whole (their projection with them). */
  subjects: number;
  /** Remembered ids whose window ended, removed. */
  expiredIds: number;
  /** Work is left that this pass did not reach: schedule the next one soon. */
  more: boolean;
  /** Resume point for the next pass (null: start from the oldest again). */
  cursor: ScanCursor | null;
}

/**
 * The id memory of a shard: one small row per pruned event, kept `keep_ms` after its last delivery.
 * `catalogued = 1` until the catalogue has been told to drop the event's listing row.
 */
export function migrateShardRetention(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS forgotten (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      deliveries INTEGER NOT NULL,
      last_delivery_at INTEGER NOT NULL,
      keep_ms INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      catalogued INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX IF NOT EXISTS forgotten_expiry ON forgotten (expires_at);
    CREATE INDEX IF NOT EXISTS forgotten_catalogued ON forgotten (catalogued) WHERE catalogued = 1;
    CREATE INDEX IF NOT EXISTS events_last_delivery ON events (last_delivery_at, id);
  `);
}

/**
 * A delivery of an event this shard has already pruned: counted against its id memory and answered as a
 * duplicate, so no handler runs twice. Null when the id is not remembered.
 */
export function recallForgotten(sql: SqlStorage, id: string, now: number): RecordResult | null {
  const row = sql
    .exec<{ deliveries: number; status: string }>(
      `UPDATE forgotten SET deliveries = deliveries + 1, last_delivery_at = ?,
              expires_at = MAX(expires_at, ? + keep_ms)
        WHERE id = ? RETURNING deliveries, status`,
      now,
      now,
      id,
    )
    .toArray()[0];
  return row ? { first: false, deliveries: row.deliveries, status: row.status as EventStatus } : null;
}

interface SubjectActivity {
  n: number;
  last_delivery: number | null;
  active: number | null;
  dead: number | null;
}

/** Whether every event of the subject is past its retention and nothing of it still has work to do. */
function subjectExpired(sql: SqlStorage, subject: string, policy: RetentionPolicy, now: number): boolean {
  const e = sql
    .exec<SubjectActivity & Record<string, SqlStorageValue>>(
      `SELECT COUNT(*) AS n, MAX(last_delivery_at) AS last_delivery,
              SUM(CASE WHEN status IN ('pending', 'retrying') THEN 1 ELSE 0 END) AS active,
              SUM(CASE WHEN status = 'dead_lettered' THEN 1 ELSE 0 END) AS dead
         FROM events WHERE subject = ?`,
      subject,
    )
    .one();
  if (e.n === 0 || (e.active ?? 0) > 0) return false;
  const r = sql
    .exec<{ last_run: number | null; open: number | null }>(
      `SELECT MAX(COALESCE(r.finished_at, r.next_at)) AS last_run,
              SUM(CASE WHEN r.status IN ('pending', 'running') THEN 1 ELSE 0 END) AS open
         FROM events e JOIN runs r ON r.event_id = e.id WHERE e.subject = ?`,
      subject,
    )
    .one();
  if ((r.open ?? 0) > 0) return false;
  const lastActivity = Math.max(e.last_delivery ?? 0, r.last_run ?? 0);
  const keep = (e.dead ?? 0) > 0 ? policy.deadLettersMs : policy.eventsMs;
  return lastActivity + keep <= now;
}

/**
 * Removes up to `budget` events of one subject, remembering each id for `eventIdsMs` after its last
 * delivery. The projection goes with the first piece: a subject larger than the budget (hundreds of
 * events on one payment) is removed over several alarms, oldest first (so the rest lies ahead of the
 * scan's cursor), and must not be re-projected from a part.
 */
function removeSubject(sql: SqlStorage, subject: string, policy: RetentionPolicy, budget: number): number {
  const rows = sql
    .exec<{ id: string; status: string; deliveries: number; last_delivery_at: number }>(
      `SELECT id, status, deliveries, last_delivery_at FROM events WHERE subject = ?
        ORDER BY last_delivery_at, id LIMIT ?`,
      subject,
      budget,
    )
    .toArray();
  for (const r of rows) {
    sql.exec(
      `INSERT OR REPLACE INTO forgotten (id, status, deliveries, last_delivery_at, keep_ms, expires_at, catalogued)
       VALUES (?, ?, ?, ?, ?, ?, 1)`,
      r.id,
      r.status,
      r.deliveries,
      r.last_delivery_at,
      policy.eventIdsMs,
      r.last_delivery_at + policy.eventIdsMs,
    );
    sql.exec('DELETE FROM runs WHERE event_id = ?', r.id);
    sql.exec('DELETE FROM events WHERE id = ?', r.id);
  }
  sql.exec('DELETE FROM projection WHERE subject = ?', subject);
  return rows.length;
}

/**
 * One bounded pruning pass over a shard: expired ids first (only those the catalogue already dropped),
 * then subjects past retention, oldest last delivery first, resuming where the previous pass stopped.
 */
export function pruneShard(
  sql: SqlStorage,
  policy: RetentionPolicy,
  now: number,
  cursor: ScanCursor | null = null,
  budget: number = PRUNE_BATCH,
  scanLimit: number = PRUNE_SCAN_LIMIT,
): ShardPruneResult {
  const expiredIds = sql
    .exec(
      `DELETE FROM forgotten WHERE id IN (
         SELECT id FROM forgotten WHERE expires_at <= ? AND catalogued = 0 ORDER BY expires_at LIMIT ?)
       RETURNING id`,
      now,
      budget,
    )
    .toArray().length;
  let more = expiredIds === budget;

  const horizon = now - Math.min(policy.eventsMs, policy.deadLettersMs);
  const checked = new Set<string>();
  let left = budget;
  let scanned = 0;
  let events = 0;
  let subjects = 0;
  let at = cursor?.at ?? Number.MIN_SAFE_INTEGER;
  let id = cursor?.id ?? '';
  let next: ScanCursor | null = null;
  const chunk = 250;
  scan: while (scanned < scanLimit) {
    const want = Math.min(chunk, scanLimit - scanned);
    const rows = sql
      .exec<{ id: string; subject: string; last_delivery_at: number }>(
        `SELECT id, subject, last_delivery_at FROM events
          WHERE last_delivery_at < ? AND (last_delivery_at > ? OR (last_delivery_at = ? AND id > ?))
          ORDER BY last_delivery_at, id LIMIT ?`,
        horizon,
        at,
        at,
        id,
        want,
      )
      .toArray();
    for (const row of rows) {
      scanned++;
      at = row.last_delivery_at;
      id = row.id;
      if (checked.has(row.subject)) continue;
      checked.add(row.subject);
      if (!subjectExpired(sql, row.subject, policy, now)) continue;
      const removed = removeSubject(sql, row.subject, policy, left);
      events += removed;
      left -= removed;
      // A subject only partly removed is finished by the next pass (its projection is already gone).
      if (sql.exec('SELECT 1 FROM events WHERE subject = ? LIMIT 1', row.subject).toArray().length === 0)
        subjects++;
      if (left <= 0) {
        next = { at, id };
        more = true;
        break scan;
      }
    }
    // Fewer than asked for: the scan reached the horizon, and the next pass starts from the oldest.
    if (rows.length < want) break;
    if (scanned >= scanLimit) {
      next = { at, id };
      more = true;
    }
  }
  return { events, subjects, expiredIds, more, cursor: next };
}

/** The earliest time anything in the shard can expire, or null when it holds nothing to prune. */
export function nextShardExpiry(sql: SqlStorage, policy: RetentionPolicy): number | null {
  const e = sql
    .exec<{ oldest: number | null }>('SELECT MIN(last_delivery_at) AS oldest FROM events')
    .one().oldest;
  const f = sql.exec<{ next: number | null }>('SELECT MIN(expires_at) AS next FROM forgotten').one().next;
  const candidates = [
    ...(e === null ? [] : [e + Math.min(policy.eventsMs, policy.deadLettersMs)]),
    ...(f === null ? [] : [f]),
  ];
  return candidates.length === 0 ? null : Math.min(...candidates);
}

/** Pruned ids whose catalogue rows still exist (to be sent to the catalogue's `forget`). */
export function uncatalogued(sql: SqlStorage, limit: number): string[] {
  return sql
    .exec<{ id: string }>('SELECT id FROM forgotten WHERE catalogued = 1 LIMIT ?', limit)
    .toArray()
    .map((r) => r.id);
}

export function markUncatalogued(sql: SqlStorage, ids: readonly string[]): void {
  for (const id of ids) sql.exec('UPDATE forgotten SET catalogued = 0 WHERE id = ?', id);
}

// ---- catalogue -----------------------------------------------------------------------------------

/** Drops the listing rows of events their shard has pruned. */
export function forgetSummaries(sql: SqlStorage, ids: readonly string[]): void {
  for (const id of ids) sql.exec('DELETE FROM catalogue WHERE id = ?', id);
}

export interface CataloguePruneResult {
  quarantine: number;
  orphans: number;
  more: boolean;
}

/** One bounded pass over the catalogue: old quarantine entries, the quarantine cap, orphaned rows. */
export function pruneCatalogue(
  sql: SqlStorage,
  policy: RetentionPolicy,
  now: number,
  budget: number = PRUNE_BATCH,
): CataloguePruneResult {
  let left = budget;
  let quarantine = sql
    .exec(
      `DELETE FROM quarantine WHERE id IN (
         SELECT id FROM quarantine WHERE COALESCE(last_received_at, received_at) <= ? ORDER BY id LIMIT ?)
       RETURNING id`,
      now - policy.quarantineMs,
      left,
    )
    .toArray().length;
  left -= quarantine;
  const count = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM quarantine').one().n;
  const excess = Math.min(Math.max(0, count - QUARANTINE_MAX_ENTRIES), left);
  if (excess > 0) {
    quarantine += sql
      .exec(
        `DELETE FROM quarantine WHERE id IN (
           SELECT id FROM quarantine ORDER BY COALESCE(last_received_at, received_at), id LIMIT ?)
         RETURNING id`,
        excess,
      )
      .toArray().length;
    left -= excess;
  }
  const orphanAge =
    Math.max(policy.eventsMs, policy.deadLettersMs, policy.eventIdsMs) + CATALOGUE_ORPHAN_GRACE_MS;
  const orphans =
    left > 0
      ? sql
          .exec(
            `DELETE FROM catalogue WHERE id IN (
               SELECT id FROM catalogue WHERE received_at <= ? ORDER BY received_at LIMIT ?)
             RETURNING id`,
            now - orphanAge,
            left,
          )
          .toArray().length
      : 0;
  left -= orphans;
  return { quarantine, orphans, more: left <= 0 };
}

/** The earliest time anything in the catalogue can expire, or null when it is empty. */
export function nextCatalogueExpiry(sql: SqlStorage, policy: RetentionPolicy): number | null {
  const q = sql
    .exec<{ oldest: number | null }>(
      'SELECT MIN(COALESCE(last_received_at, received_at)) AS oldest FROM quarantine',
    )
    .one().oldest;
  const c = sql
    .exec<{ oldest: number | null }>('SELECT MIN(received_at) AS oldest FROM catalogue')
    .one().oldest;
  const orphanAge =
    Math.max(policy.eventsMs, policy.deadLettersMs, policy.eventIdsMs) + CATALOGUE_ORPHAN_GRACE_MS;
  const candidates = [
    ...(q === null ? [] : [q + policy.quarantineMs]),
    ...(c === null ? [] : [c + orphanAge]),
  ];
  return candidates.length === 0 ? null : Math.min(...candidates);
}
