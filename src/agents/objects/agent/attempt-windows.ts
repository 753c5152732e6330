import {
  ATTEMPT_CLOSE_GRACE_MS,
  ATTEMPT_WINDOW_MS,
  type Attempt,
  type AttemptReason,
  attemptMethod,
  MAX_SOURCES_PER_WINDOW,
  OVERFLOW_SOURCE,
} from '../../model/attempts';
import type { EntryInput, KeyShape } from '../../model/audit-entry';

export const ATTEMPTS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS open_attempts (
    window_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    key_shape TEXT NOT NULL,
    channel TEXT NOT NULL,
    method TEXT NOT NULL,
    request_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    PRIMARY KEY (window_ms, source, reason, key_shape, channel)
  );
`;

interface WindowRow extends Record<string, SqlStorageValue> {
  window_ms: number;
  source: string;
  reason: string;
  key_shape: string;
  channel: string;
  method: string;
  request_id: string;
  count: number;
  first_ms: number;
  last_ms: number;
}

/** The fields of an `attempts` entry besides the agent's id and name. */
export type AttemptEntry = Omit<EntryInput, 'agent_id' | 'agent_name'>;

/**
 * The open minutes of one chain's refused attempts (SQLite, inside the chain's object): `add` counts an
 * attempt in its row (an update, not a new row, after the first of its kind that minute); `close` turns
 * the rows of finished minutes into `attempts` entries. Synchronous SQL only, so an object can close and
 * append in one step.
 */
export class AttemptWindows {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(ATTEMPTS_SCHEMA);
  }

  /** Counts one attempt; returns when its minute is closed (its entry is due then). */
  add(a: Attempt): number {
    const window = Math.floor(a.atMs / ATTEMPT_WINDOW_MS) * ATTEMPT_WINDOW_MS;
    const sql = this.#sql;
    let source = a.source;
    const seen = sql
      .exec('SELECT 1 FROM open_attempts WHERE window_ms = ? AND source = ? LIMIT 1', window, source)
      .toArray().length;
    if (!seen) {
      const sources = sql
        .exec<{ n: number }>(
          'SELECT COUNT(DISTINCT source) AS n FROM open_attempts WHERE window_ms = ? AND source != ?',
          window,
          OVERFLOW_SOURCE,
        )
        .one().n;
      if (sources >= MAX_SOURCES_PER_WINDOW) source = OVERFLOW_SOURCE;
    }
    sql.exec(
      `INSERT INTO open_attempts (window_ms, source, reason, key_shape, channel, method, request_id, count,
         first_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (window_ms, source, reason, key_shape, channel) DO UPDATE SET count = count + 1,
         first_ms = MIN(first_ms, excluded.first_ms), last_ms = MAX(last_ms, excluded.last_ms)`,
      window,
      source,
      a.reason,
      a.keyShape,
      a.channel,
      attemptMethod(a.method),
      a.requestId,
      a.atMs,
      a.atMs,
    );
    return window + ATTEMPT_WINDOW_MS + ATTEMPT_CLOSE_GRACE_MS;
  }

  /**
   * Removes the minutes closed by `nowMs` (ended at least `ATTEMPT_CLOSE_GRACE_MS` before; every open one
   * with `Infinity`) and returns their entries, oldest first: the first attempt's time, method and request
   * id, the count and the last time.
   */
  close(nowMs: number): AttemptEntry[] {
    const before = Number.isFinite(nowMs)
      ? nowMs - ATTEMPT_WINDOW_MS - ATTEMPT_CLOSE_GRACE_MS
      : Number.MAX_SAFE_INTEGER;
    const rows = this.#sql
      .exec<WindowRow>(
        'SELECT * FROM open_attempts WHERE window_ms <= ? ORDER BY window_ms, first_ms, source',
        before,
      )
      .toArray();
    if (rows.length === 0) return [];
    this.#sql.exec('DELETE FROM open_attempts WHERE window_ms <= ?', before);
    return rows.map((r) => ({
      kind: 'attempts',
      call_seq: null,
      at_ms: r.first_ms,
      channel: r.channel as AttemptEntry['channel'],
      method: r.method,
      path_template: null,
      entry: null,
      area: null,
      access: null,
      decision: 'denied',
      reason: r.reason as AttemptReason,
      upstream_status: null,
      latency_ms: 0,
      request_id: r.request_id,
      upstream_request_id: null,
      idempotency_key: null,
      amount: null,
      currency: null,
      source: r.source,
      key_shape: r.key_shape as KeyShape,
      attempts: r.count,
      last_at_ms: r.last_ms,
    }));
  }

  /** When the earliest open minute is to be closed, or null when none is open. */
  nextDue(): number | null {
    const row = this.#sql.exec<{ w: number | null }>('SELECT MIN(window_ms) AS w FROM open_attempts').one();
    return row.w === null ? null : row.w + ATTEMPT_WINDOW_MS + ATTEMPT_CLOSE_GRACE_MS;
  }
}
