import { DurableObject } from 'cloudflare:workers';
import { upstreamFetch } from '../http/upstream-fetch';
import { secretFingerprint } from './cache-key';
import { isOAuthFailure, type OAuthFailure } from './errors';
import { requestToken } from './token-endpoint';
import {
  type BackoffPolicy,
  backoffMs,
  type CachedToken,
  DEFAULT_BACKOFF,
  DEFAULT_TIMING,
  isDueForRefresh,
  isUsable,
  kvTtlSeconds,
  tokenFrom,
} from './token-policy';

/** A token rejected this soon after it was issued says more about the setup than about the token. */
const FRESH_REJECTION_MS = 10_000;

/** What an isolate sends the refresher. The secret is used for the request and never stored. */
export interface RefresherRequest {
  /** The token cache key (`tokenCacheKey`): also this object's name and the KV key it writes. */
  key: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  /**
   * The caller's clock (ms). In production it is the same wall clock as the object's; tests pass a
   * compressed clock so that token lifetimes elapse without waiting.
   */
  now: number;
  /**
   * Set by a background refresh: the token the caller holds and found past its refresh point. Without it
   * the caller only needs a usable token, and a stored one that is due for refresh is still returned.
   */
  replace?: string;
}

export type RefresherAnswer =
  | { ok: true; token: CachedToken }
  | { ok: false; reason: OAuthFailure; retryAfterMs: number };

/** What the refresher knows, without the token itself (for tests and diagnostics). */
export interface RefresherStatus {
  hasToken: boolean;
  expiresAt: number | null;
  refreshAt: number | null;
  consecutiveFailures: number;
  lastFailure: OAuthFailure | null;
  retryAt: number | null;
  tokenRequests: number;
}

interface TokenRow extends Record<string, SqlStorageValue> {
  token: string;
  expires_at: number;
  refresh_at: number;
}

interface FailureRow extends Record<string, SqlStorageValue> {
  fingerprint: string;
  reason: string;
  failures: number;
  retry_at: number;
}

/**
 * Single-flight OAuth token refresh, one object per client id + scope set (named by `tokenCacheKey`).
 * Every isolate that misses its memory and KV, or sees its token past the refresh point, asks here; the
 * object fetches at most one token at a time, stores it (SQLite + KV) and hands the same token to every
 * caller. A failing credential is remembered with exponential backoff (1 s → 60 s), so a broken secret
 * costs one token request per backoff window rather than one per API call.
 */
export class OAuthTokenRefresher extends DurableObject<Env> {
  #inflight = new Map<string, Promise<RefresherAnswer>>();
  #backoff: BackoffPolicy = DEFAULT_BACKOFF;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS token (
      id INTEGER PRIMARY KEY CHECK (id = 1), token TEXT NOT NULL, expires_at INTEGER NOT NULL, refresh_at INTEGER NOT NULL,
      issued_at INTEGER NOT NULL, fingerprint TEXT NOT NULL)`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS failure (
      id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL, reason TEXT NOT NULL,
      failures INTEGER NOT NULL, retry_at INTEGER NOT NULL)`);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
    );
  }

  /** A usable token for the credential: the stored one, or one fetched now (once, however many ask). */
  async getToken(req: RefresherRequest): Promise<RefresherAnswer> {
    const stored = this.#stored();
    if (stored && isUsable(stored, req.now)) {
      const wantsReplacement = req.replace !== undefined && req.replace === stored.token;
      if (!wantsReplacement || !isDueForRefresh(stored, req.now)) return { ok: true, token: stored };
    }
    const fingerprint = await secretFingerprint(req.clientId, req.clientSecret);
    const failure = this.#failure();
    if (failure && failure.fingerprint === fingerprint && req.now < failure.retry_at) {
      // Backing off: a still-usable token keeps serving; otherwise fail fast without a request.
      if (stored && isUsable(stored, req.now)) return { ok: true, token: stored };
      const reason = isOAuthFailure(failure.reason) ? failure.reason : 'unexpected_response';
      return { ok: false, reason, retryAfterMs: failure.retry_at - req.now };
    }
    const running = this.#inflight.get(fingerprint);
    if (running) return running;
    const attempt = this.#fetchToken(req, fingerprint).finally(() => this.#inflight.delete(fingerprint));
    this.#inflight.set(fingerprint, attempt);
    const answer = await attempt;
    // A failed early refresh does not take away a token that still works.
    if (!answer.ok && stored && isUsable(stored, req.now)) return { ok: true, token: stored };
    return answer;
  }

  /**
   * The API answered 401 to `token`: forget it here and in KV, unless a newer token already replaced
   * it (then the caller just needs the current one). A token rejected within seconds of being issued,
   * twice in a row, means every new token will be (wrong environment, revoked client): that is recorded
   * as a `token_rejected` failure with the same backoff as a broken secret, so it cannot turn every API
   * call into a token request.
   */
  async invalidate(key: string, token: string, now: number = Date.now()): Promise<void> {
    const row = this.ctx.storage.sql
      .exec<{ token: string; issued_at: number; fingerprint: string }>(
        'SELECT token, issued_at, fingerprint FROM token',
      )
      .toArray()[0];
    if (row?.token === token) {
      this.ctx.storage.sql.exec('DELETE FROM token');
      const fresh = now - row.issued_at < FRESH_REJECTION_MS;
      const rejections = fresh ? this.#bump('fresh_rejections') : this.#reset('fresh_rejections');
      if (rejections >= 2) this.#recordFailure(row.fingerprint, 'token_rejected', now);
    }
    const inKv = await this.env.OAUTH_TOKENS.get<{ token?: unknown }>(key, 'json');
    if (inKv?.token === token) await this.env.OAUTH_TOKENS.delete(key);
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /** Diagnostics without the token. */
  status(): RefresherStatus {
    const stored = this.#stored();
    const failure = this.#failure();
    const counter = this.ctx.storage.sql
      .exec<{ value: number }>("SELECT value FROM counter WHERE name = 'token_requests'")
      .toArray()[0];
    return {
      hasToken: stored !== null,
      expiresAt: stored?.expiresAt ?? null,
      refreshAt: stored?.refreshAt ?? null,
      consecutiveFailures: failure?.failures ?? 0,
      lastFailure: failure && isOAuthFailure(failure.reason) ? failure.reason : null,
      retryAt: failure?.retry_at ?? null,
      tokenRequests: counter?.value ?? 0,
    };
  }

  async #fetchToken(req: RefresherRequest, fingerprint: string): Promise<RefresherAnswer> {
    this.ctx.storage.sql.exec(
      `INSERT INTO counter (name, value) VALUES ('token_requests', 1)
       ON CONFLICT(name) DO UPDATE SET value = value + 1`,
    );
    const result = await requestToken(
      { tokenUrl: req.tokenUrl, clientId: req.clientId, clientSecret: req.clientSecret, scopes: req.scopes },
      upstreamFetch(this.env),
    );
    if (!result.ok) {
      const wait = this.#recordFailure(fingerprint, result.reason, req.now);
      return { ok: false, reason: result.reason, retryAfterMs: wait };
    }
    const cached = tokenFrom(result.accessToken, result.expiresInSeconds, req.now, DEFAULT_TIMING);
    this.ctx.storage.sql.exec('DELETE FROM failure');
    this.ctx.storage.sql.exec(
      `INSERT INTO token (id, token, expires_at, refresh_at, issued_at, fingerprint) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at,
         refresh_at = excluded.refresh_at, issued_at = excluded.issued_at, fingerprint = excluded.fingerprint`,
      cached.token,
      cached.expiresAt,
      cached.refreshAt,
      req.now,
      fingerprint,
    );
    // KV holds the token and its timing only (never the secret or the client id), until it expires.
    await this.env.OAUTH_TOKENS.put(req.key, JSON.stringify(cached), {
      expirationTtl: kvTtlSeconds(cached, req.now),
    });
    return { ok: true, token: cached };
  }

  /** Remembers a failure for the secret's fingerprint; returns the backoff it starts. */
  #recordFailure(fingerprint: string, reason: OAuthFailure, now: number): number {
    const previous = this.#failure();
    const failures = previous && previous.fingerprint === fingerprint ? previous.failures + 1 : 1;
    const wait = backoffMs(failures, this.#backoff);
    this.ctx.storage.sql.exec(
      `INSERT INTO failure (id, fingerprint, reason, failures, retry_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET fingerprint = excluded.fingerprint, reason = excluded.reason,
         failures = excluded.failures, retry_at = excluded.retry_at`,
      fingerprint,
      reason,
      failures,
      now + wait,
    );
    return wait;
  }

  #bump(name: string): number {
    return (
      this.ctx.storage.sql
        .exec<{ value: number }>(
          `INSERT INTO counter (name, value) VALUES (?, 1)
           ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`,
          name,
        )
        .toArray()[0]?.value ?? 1
    );
  }

  #reset(name: string): number {
    this.ctx.storage.sql.exec('DELETE FROM counter WHERE name = ?', name);
    return 0;
  }

  #stored(): CachedToken | null {
    const row = this.ctx.storage.sql
      .exec<TokenRow>('SELECT token, expires_at, refresh_at FROM token')
      .toArray()[0];
    return row ? { token: row.token, expiresAt: row.expires_at, refreshAt: row.refresh_at } : null;
  }

  #failure(): FailureRow | null {
    return (
      this.ctx.storage.sql
        .exec<FailureRow>('SELECT fingerprint, reason, failures, retry_at FROM failure')
        .toArray()[0] ?? null
    );
  }
}
