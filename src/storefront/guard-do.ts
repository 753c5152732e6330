import { DurableObject } from 'cloudflare:workers';
import {
  deleteExpiredSessions,
  hasSessionTable,
  insertSession,
  migrateSessions,
  readSession,
  type SessionRecord,
  type SessionRecordInput,
  setSessionPayment,
} from './session-store';

/**
 * The storefront's abuse and replay guard. One class, three kinds of instance, chosen by name:
 *
 * - `client:<ip>` — one per browser client: its request budget (a token bucket, in memory) and its
 *   `Idempotency-Key` records (SQLite). The IETF draft scopes keys per client, so a client's keys and its
 *   budget live together, and each client's traffic lands on its own object (no global hot spot).
 * - `order:<jti>` — one per order token: the record that the token was used, until it expires. A token
 *   may be replayed from any client, so this cannot be per-client; one object per `jti` needs no sharding
 *   and deletes itself at expiry.
 * - `session:<id>` — one per payment session Bollard created: what the status route needs to find the
 *   payment made through it (session-store.ts). Keyed by session, not client: a shopper whose address
 *   changes between the submit and the status poll must still get the answer. Deletes itself at expiry.
 *
 * The bucket is deliberately not persisted: losing it when an idle object is evicted only forgets a
 * budget that would have refilled during the idle time anyway, and it keeps the hot path to one
 * in-memory step. See docs/storage.md for the tables.
 */

export type IdempotencyBegin =
  /** No record: this request owns the key now; call `completeIdempotent` or `abandonIdempotent`. */
  | { kind: 'proceed' }
  /** Done before with the same body: answer with the stored response. */
  | { kind: 'replay'; status: number; body: string }
  /** The first request with this key is still running. */
  | { kind: 'in_flight' }
  /** The key was used with a different body. */
  | { kind: 'mismatch' };

export interface IdempotencyBeginInput {
  key: string;
  /** SHA-256 (hex) of method, route and the request body. */
  fingerprint: string;
  /** How long an in-flight claim holds before a crashed request's key may be taken over. */
  leaseMs: number;
  /** How long a completed response is replayed. */
  ttlMs: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Requests granted (the caller may spend the extra ones locally, briefly). */
  granted: number;
  /** Seconds until one request is allowed again (0 when allowed). */
  retryAfterSeconds: number;
}

interface IdemRow extends Record<string, SqlStorageValue> {
  fingerprint: string;
  state: string;
  status: number | null;
  body: string | null;
  lease_until: number;
  expires_at: number;
}

export class StorefrontGuard extends DurableObject<Env> {
  #schemaReady = false;
  #bucket: { tokens: number; at: number } | null = null;

  #sql(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.#schemaReady) {
      sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL,
        status INTEGER,
        body TEXT,
        lease_until INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      )`);
      sql.exec('CREATE TABLE IF NOT EXISTS used_order (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)');
      migrateSessions(sql);
      this.#schemaReady = true;
    }
    return sql;
  }

  /**
   * Takes up to `want` requests from this client's budget: a token bucket holding `perMinute` requests,
   * refilled at `perMinute / 60` per second. Grants what is there (at least one, or none).
   */
  take(perMinute: number, want = 1): TakeResult {
    const now = Date.now();
    const rate = perMinute / 60_000;
    const b = this.#bucket ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.#bucket = b;
    if (b.tokens >= 1) {
      const granted = Math.max(1, Math.min(Math.floor(want), Math.floor(b.tokens)));
      b.tokens -= granted;
      return { allowed: true, granted, retryAfterSeconds: 0 };
    }
    return {
      allowed: false,
      granted: 0,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)),
    };
  }

  /** Starts (or answers) a request carrying `Idempotency-Key`. Atomic: no await between read and write. */
  async beginIdempotent(input: IdempotencyBeginInput): Promise<IdempotencyBegin> {
    const sql = this.#sql();
    const now = Date.now();
    const row = sql
      .exec<IdemRow>(
        'SELECT fingerprint, state, status, body, lease_until, expires_at FROM idempotency WHERE key = ?',
        input.key,
      )
      .toArray()[0];
    const live = row && (row.state === 'done' ? row.expires_at > now : row.lease_until > now);
    if (row && live) {
      if (row.fingerprint !== input.fingerprint) return { kind: 'mismatch' };
      if (row.state === 'done') return { kind: 'replay', status: row.status ?? 200, body: row.body ?? '' };
      return { kind: 'in_flight' };
    }
    sql.exec(
      `INSERT OR REPLACE INTO idempotency (key, fingerprint, state, status, body, lease_until, expires_at)
       VALUES (?, ?, 'in_flight', NULL, NULL, ?, ?)`,
      input.key,
      input.fingerprint,
      now + input.leaseMs,
      now + input.ttlMs,
    );
    await this.#scheduleCleanup(now + input.ttlMs);
    return { kind: 'proceed' };
  }

  /** Records the response to replay for this key (only the request that began it may complete it). */
  completeIdempotent(key: string, fingerprint: string, status: number, body: string): void {
    this.#sql().exec(
      `UPDATE idempotency SET state = 'done', status = ?, body = ?
       WHERE key = ? AND fingerprint = ? AND state = 'in_flight'`,
      status,
      body,
      key,
      fingerprint,
    );
  }

  /** Forgets an in-flight key whose request failed, so the browser may retry it. */
  abandonIdempotent(key: string, fingerprint: string): void {
    this.#sql().exec(
      `DELETE FROM idempotency WHERE key = ? AND fingerprint = ? AND state = 'in_flight'`,
      key,
      fingerprint,
    );
  }

  /** Marks an order token used. False when it already was (a replay). */
  async claimOrder(jti: string, expiresAtMs: number): Promise<boolean> {
    const sql = this.#sql();
    const now = Date.now();
    const existing = sql
      .exec<{ expires_at: number }>('SELECT expires_at FROM used_order WHERE jti = ?', jti)
      .toArray()[0];
    if (existing && existing.expires_at > now) return false;
    sql.exec('INSERT OR REPLACE INTO used_order (jti, expires_at) VALUES (?, ?)', jti, expiresAtMs);
    await this.#scheduleCleanup(expiresAtMs);
    return true;
  }

  /** Un-marks a token whose request failed before anything was created upstream, so it can be retried. */
  releaseOrder(jti: string): void {
    this.#sql().exec('DELETE FROM used_order WHERE jti = ?', jti);
  }

  /** Records a payment session Bollard created (`session:<id>` objects). */
  async rememberSession(input: SessionRecordInput): Promise<void> {
    const expiresAt = insertSession(this.#sql(), input, Date.now());
    await this.#scheduleCleanup(expiresAt);
  }

  /**
   * The session's record, or null when Bollard did not create it (or it expired). Reads never create
   * the schema: a probe for an id Bollard never created must not leave storage (and an object) behind.
   */
  session(id: string): SessionRecord | null {
    if (!this.#recordsSessions()) return null;
    return readSession(this.#sql(), id, Date.now());
  }

  /** Remembers the payment made through the session (a no-op for a session Bollard did not create). */
  rememberSessionPayment(id: string, paymentId: string): void {
    if (this.#recordsSessions()) setSessionPayment(this.#sql(), id, paymentId);
  }

  #recordsSessions(): boolean {
    return this.#schemaReady || hasSessionTable(this.ctx.storage.sql);
  }

  /** Deletes expired records; an object left with none deletes its storage entirely. */
  override async alarm(): Promise<void> {
    const sql = this.#sql();
    const now = Date.now();
    sql.exec(
      `DELETE FROM idempotency WHERE (state = 'done' AND expires_at <= ?) OR (state = 'in_flight' AND expires_at <= ?)`,
      now,
      now,
    );
    sql.exec('DELETE FROM used_order WHERE expires_at <= ?', now);
    deleteExpiredSessions(sql, now);
    const next = sql
      .exec<{ at: number | null }>(
        `SELECT MIN(at) AS at FROM (SELECT MIN(expires_at) AS at FROM idempotency
           UNION ALL SELECT MIN(expires_at) FROM used_order UNION ALL SELECT MIN(expires_at) FROM session)`,
      )
      .toArray()[0]?.at;
    if (next === null || next === undefined) {
      await this.ctx.storage.deleteAll();
      this.#schemaReady = false;
      return;
    }
    await this.ctx.storage.setAlarm(next);
  }

  async #scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
