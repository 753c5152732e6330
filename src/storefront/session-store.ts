/**
 * What Bollard remembers about a payment session it created, so `GET /v1/payment-sessions/{id}/status`
 * can find the payment made through it after an unknown outcome without ever paying: the order's
 * reference (Checkout.com lists payments by reference), amount and currency, the marker Bollard put in
 * the session's metadata (which the payment carries), and the payment id once one is known. SQLite in
 * the `session:<id>` guard object (docs/storage.md). No card data, customer details or secrets.
 */

export interface SessionRecordInput {
  id: string;
  reference: string;
  amount: number;
  currency: string;
  /** The `metadata.bollard_session` value sent with the session. */
  marker: string;
}

export interface SessionRecord extends SessionRecordInput {
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The payment made through the session, once Bollard has seen it. */
  paymentId: string | null;
}

/** How long a session record is kept: Checkout.com's idempotency window, past any retry or status poll. */
export const SESSION_RECORD_TTL_MS = 24 * 3600 * 1000;

interface SessionRow extends Record<string, SqlStorageValue> {
  id: string;
  reference: string;
  amount: number;
  currency: string;
  marker: string;
  payment_id: string | null;
  created_at: number;
}

export function migrateSessions(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS session (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    marker TEXT NOT NULL,
    payment_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  )`);
}

/** Whether this object ever recorded a session (reading must not create the table: see guard-do.ts). */
export function hasSessionTable(sql: SqlStorage): boolean {
  return (
    sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'session'",
      )
      .one().n > 0
  );
}

/** Records a session (a repeat for the same id keeps the first record and any payment id it learned). */
export function insertSession(sql: SqlStorage, input: SessionRecordInput, now: number): number {
  const expiresAt = now + SESSION_RECORD_TTL_MS;
  sql.exec(
    `INSERT OR IGNORE INTO session (id, reference, amount, currency, marker, payment_id, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, NULL, ?, ?)`,
    input.id,
    input.reference,
    input.amount,
    input.currency,
    input.marker,
    now,
    expiresAt,
  );
  return expiresAt;
}

export function readSession(sql: SqlStorage, id: string, now: number): SessionRecord | null {
  const row = sql
    .exec<SessionRow>(
      `SELECT id, reference, amount, currency, marker, payment_id, created_at FROM session
       WHERE id = ? AND expires_at > ?`,
      id,
      now,
    )
    .toArray()[0];
  if (!row) return null;
  return {
    id: row.id,
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    marker: row.marker,
    createdAt: row.created_at,
    paymentId: row.payment_id,
  };
}

/** Remembers the payment made through the session, so later reads can start from the webhook projection. */
export function setSessionPayment(sql: SqlStorage, id: string, paymentId: string): void {
  sql.exec('UPDATE session SET payment_id = ? WHERE id = ?', paymentId, id);
}

export function deleteExpiredSessions(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM session WHERE expires_at <= ?', now);
}
