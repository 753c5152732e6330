/**
 * When a cached token may be used, when it should be refreshed, how long KV keeps it, and how long a
 * failing credential is left alone. Pure: every function takes the time (ms since the epoch).
 */

/** A token and its validity window, as every cache layer holds it. Times are ms since the epoch. */
export interface CachedToken {
  token: string;
  /** When the token endpoint says it stops working (issue time + `expires_in`). */
  expiresAt: number;
  /** When to start refreshing it in the background (a fraction of its lifetime). */
  refreshAt: number;
}

export interface TokenTiming {
  /** Fraction of the lifetime after which a background refresh starts (default 0.8). */
  refreshFraction: number;
  /**
   * A token with less than this left is never handed out (default 30 s): it must survive the request's
   * retries and the clock skew between Bollard and the API.
   */
  skewMs: number;
}

export const DEFAULT_TIMING: TokenTiming = { refreshFraction: 0.8, skewMs: 30_000 };

/** Cloudflare KV refuses an `expirationTtl` below 60 s (https://developers.cloudflare.com/kv/api/write-key-value-pairs/). */
export const KV_MIN_TTL_SECONDS = 60;

/** Builds the cached form of a fresh token issued at `now` with `expiresInSeconds` of life. */
export function tokenFrom(
  token: string,
  expiresInSeconds: number,
  now: number,
  timing: TokenTiming = DEFAULT_TIMING,
): CachedToken {
  const lifetime = expiresInSeconds * 1000;
  return { token, expiresAt: now + lifetime, refreshAt: now + Math.floor(lifetime * timing.refreshFraction) };
}

/**
 * The skew actually applied to a token: the configured one, but never more than half of the
 * refresh window, so a short-lived token (tests compress lifetimes) is still usable until it is refreshed.
 */
export function effectiveSkew(cached: CachedToken, timing: TokenTiming = DEFAULT_TIMING): number {
  const window = Math.max(0, cached.expiresAt - cached.refreshAt);
  return Math.min(timing.skewMs, Math.floor(window / 2));
}

/** True while the token may be sent: more than the skew remains. */
export function isUsable(cached: CachedToken, now: number, timing: TokenTiming = DEFAULT_TIMING): boolean {
  return cached.expiresAt - effectiveSkew(cached, timing) > now;
}

/** True once the token is past its refresh point (still usable, but a replacement should be fetched). */
export function isDueForRefresh(cached: CachedToken, now: number): boolean {
  return now >= cached.refreshAt;
}

/** KV TTL in seconds: until the token expires, but at least KV's 60 s minimum. */
export function kvTtlSeconds(cached: CachedToken, now: number): number {
  return Math.max(KV_MIN_TTL_SECONDS, Math.ceil((cached.expiresAt - now) / 1000));
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/**
 * How long to refuse new attempts after the `failures`-th consecutive failure (1-based): 1 s, 2 s,
 * 4 s, ... capped at 60 s. Deterministic on purpose: one refresher serialises every attempt for the
 * credential, so there is no herd to spread out with jitter.
 */
export function backoffMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.max(0, failures - 1);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exp, 30));
}

/** Parses a cached token read back from KV or SQLite; null for anything malformed. */
export function parseCachedToken(value: unknown): CachedToken | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.token !== 'string' || v.token.length === 0) return null;
  if (typeof v.expiresAt !== 'number' || typeof v.refreshAt !== 'number') return null;
  if (!Number.isFinite(v.expiresAt) || !Number.isFinite(v.refreshAt)) return null;
  return { token: v.token, expiresAt: v.expiresAt, refreshAt: v.refreshAt };
}
