/**
 * `Cko-Idempotency-Key` (facts §5): a successful answer is stored for 24 hours and replayed (same status,
 * same body) to a repeat of the request; a failed one is not stored, so a retry is processed again; a
 * repeat that arrives while the first is still being processed gets 429.
 * Keys are scoped to the method and path: the same key on another endpoint is another request.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
export const IDEMPOTENCY_HEADER = 'Cko-Idempotency-Key';

export function initIdempotencySchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL, content_type TEXT, created_at INTEGER NOT NULL)`);
}

export interface StoredAnswer {
  status: number;
  body: string;
  contentType: string | null;
}

export function scopedKey(method: string, path: string, key: string): string {
  return `${method} ${path} ${key}`;
}

export function findAnswer(sql: SqlStorage, key: string, nowMs: number): StoredAnswer | null {
  const row = sql
    .exec<{ status: number; body: string; content_type: string | null; created_at: number }>(
      'SELECT status, body, content_type, created_at FROM idempotency WHERE key = ?',
      key,
    )
    .toArray()[0];
  if (!row) return null;
  if (nowMs - row.created_at > IDEMPOTENCY_TTL_MS) {
    sql.exec('DELETE FROM idempotency WHERE key = ?', key);
    return null;
  }
  return { status: row.status, body: row.body, contentType: row.content_type };
}

export function storeAnswer(sql: SqlStorage, key: string, answer: StoredAnswer, nowMs: number): void {
  sql.exec(
    'INSERT OR REPLACE INTO idempotency (key, status, body, content_type, created_at) VALUES (?, ?, ?, ?, ?)',
    key,
    answer.status,
    answer.body,
    answer.contentType,
    nowMs,
  );
}
