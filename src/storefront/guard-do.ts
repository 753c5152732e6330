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
 * The storefront's replay guard: only what needs atomic state. Per-client request limits are not here
 * (client-limit.ts: the Rate Limiting binding). One class, three kinds of instance, chosen by name:
 *
 * - `order:<jti>` — one per order token: the record that the token was used, until it expires, and the
 *   `Idempotency-Key` records of the requests that carried it. A token may be replayed from any client,
 *   so its record cannot be per client; one object per `jti` needs no sharding and deletes itself at
 *   expiry. Keeping the key's record beside the token's makes a request carrying both one round trip.
 * - `key:<hash>` — one per `Idempotency-Key` of requests that carry no order token (open mode, submits):
 *   its record. Not per client address: a shopper whose phone moves from Wi-Fi to mobile data retries
 *   from another address, and must get the first answer, not a second session.
 * - `session:<shard>` — the records of the payment sessions Bollard created, spread over 16 objects by a
 *   hash of the session id (stubs.ts): what the status route needs to find the payment made through a
 *   session (session-store.ts). Keyed by session, not client: a shopper whose address changes between the
 *   submit and the status poll must still get the answer. Not one object per session: creating an object
 *   (a new SQLite database) for every session was most of a session create's cost.
 *
 * A write makes one call before it goes upstream (`begin`) and one after, which the answer does not wait
 * for on success (`complete`, after the response) and does on failure (`release`, so a retry is not
 * refused). See docs/storage.md for the tables.
 */

/** The shortest time between two sweeps of expired records. */
const SWEEP_INTERVAL_MS = 60_000;

export type GuardBegin =
  /** Nothing recorded stands in the way: the request owns its key and its token now. */
  | { kind: 'proceed' }
  /** Done before with the same body: answer with the stored response. */
  | { kind: 'replay'; status: number; body: string }
  /** The first request with this key is still running. */
  | { kind: 'in_flight' }
  /** The key was used with a different body. */
  | { kind: 'mismatch' }
  /** The order token was already used (by a request without this key, or from another client). */
  | { kind: 'order_used' };

export interface IdempotencyRecord {
  /** The record's key: the browser's key (a submit's: scoped to its session, submit-key.ts). */
  key: string;
  /** SHA-256 (hex) of method, route and the request body. */
  fingerprint: string;
}

export interface GuardBeginInput {
  /** The request's `Idempotency-Key` record, when it carries one. */
  idempotency?: IdempotencyRecord & {
    /** How long an in-flight claim holds before a crashed request's key may be taken over. */
    leaseMs: number;
    /** How long a completed response is replayed. */
    ttlMs: number;
  };
  /** The order token the request spends, when it carries one. */
  order?: { jti: string; expiresAtMs: number };
}

export interface GuardReleaseInput {
  /** The in-flight record to forget, so the browser may retry with the key. */
  idempotency?: IdempotencyRecord;
  /** The order token to give back, so it can be used again. */
  jti?: string;
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
   * Starts a guarded write, atomically (no await between the reads and the writes): answers from the
   * key's record if it has a live one; refuses a token already used; otherwise claims both and proceeds.
   */
  async begin(input: GuardBeginInput): Promise<GuardBegin> {
    const sql = this.#sql();
    const now = Date.now();
    const idem = input.idempotency;
    // A key whose earlier attempt never finished (its lease ran out) with this same body: that attempt
    // spent the token, under the same upstream key, so this one may take the token over with the key.
    let takesOver = false;
    if (idem) {
      const row = sql
        .exec<IdemRow>(
          'SELECT fingerprint, state, status, body, lease_until, expires_at FROM idempotency WHERE key = ?',
          idem.key,
        )
        .toArray()[0];
      const live = row && (row.state === 'done' ? row.expires_at > now : row.lease_until > now);
      if (row && live) {
        if (row.fingerprint !== idem.fingerprint) return { kind: 'mismatch' };
        if (row.state === 'done') return { kind: 'replay', status: row.status ?? 200, body: row.body ?? '' };
        return { kind: 'in_flight' };
      }
      takesOver = row?.state === 'in_flight' && row.fingerprint === idem.fingerprint;
    }
    const order = input.order;
    if (order) {
      const used = sql
        .exec<{ expires_at: number }>('SELECT expires_at FROM used_order WHERE jti = ?', order.jti)
        .toArray()[0];
      if (used && used.expires_at > now && !takesOver) return { kind: 'order_used' };
      sql.exec(
        'INSERT OR REPLACE INTO used_order (jti, expires_at) VALUES (?, ?)',
        order.jti,
        order.expiresAtMs,
      );
    }
    if (idem) {
      sql.exec(
        `INSERT OR REPLACE INTO idempotency (key, fingerprint, state, status, body, lease_until, expires_at)
         VALUES (?, ?, 'in_flight', NULL, NULL, ?, ?)`,
        idem.key,
        idem.fingerprint,
        now + idem.leaseMs,
        now + idem.ttlMs,
      );
    }
    const first = Math.min(idem ? now + idem.ttlMs : Infinity, order ? order.expiresAtMs : Infinity);
    if (Number.isFinite(first)) await this.#scheduleCleanup(first);
    return { kind: 'proceed' };
  }

  /** Records the response to replay for this key (only the request that began it may complete it). */
  complete(record: IdempotencyRecord, status: number, body: string): void {
    this.#sql().exec(
      `UPDATE idempotency SET state = 'done', status = ?, body = ?
       WHERE key = ? AND fingerprint = ? AND state = 'in_flight'`,
      status,
      body,
      record.key,
      record.fingerprint,
    );
  }

  /** Undoes what `begin` claimed for a request that failed: the in-flight key, the token, or both. */
  release(input: GuardReleaseInput): void {
    const sql = this.#sql();
    if (input.idempotency) {
      sql.exec(
        `DELETE FROM idempotency WHERE key = ? AND fingerprint = ? AND state = 'in_flight'`,
        input.idempotency.key,
        input.idempotency.fingerprint,
      );
    }
    if (input.jti !== undefined) sql.exec('DELETE FROM used_order WHERE jti = ?', input.jti);
  }

  /** Records a payment session Bollard created (`session:<shard>` objects). */
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
    // At most one sweep a minute: a session shard has a record expiring every few milliseconds at load,
    // and a read never serves an expired record, so a later sweep only keeps it on disk a little longer.
    await this.ctx.storage.setAlarm(Math.max(next, now + SWEEP_INTERVAL_MS));
  }

  async #scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
