import { withTimeout } from '../http/timeout';
import { tokenCacheKey } from './cache-key';
import type { TokenSource } from './contract';
import { OAuthTokenError } from './errors';
import type { OAuthTokenRefresher, RefresherAnswer, RefresherRequest } from './refresher-do';
import {
  type CachedToken,
  DEFAULT_TIMING,
  isDueForRefresh,
  isUsable,
  parseCachedToken,
  type TokenTiming,
} from './token-policy';

/** A background refresh older than this is presumed lost (its request ended before it settled). */
const STALE_REFRESH_MS = 30_000;

/**
 * The longest a caller waits for a token it does not hold (KV, then the refresher, which itself gives the
 * token endpoint 10 s). Past it the call fails as `oauth_timeout` (transient) instead of hanging; the
 * load goes on, and a later call finds its token.
 */
export const DEFAULT_LOAD_TIMEOUT_MS = 12_000;

/**
 * Waits for a load another request started. Workers cancel a request whose only pending work belongs to
 * another request, so the waiter keeps a short timer of its own until the shared promise settles.
 */
async function awaitShared<T>(shared: Promise<T>, timeoutMs: number): Promise<T> {
  const settled = shared.then(
    () => true,
    () => true,
  );
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await Promise.race([settled, new Promise<false>((r) => setTimeout(() => r(false), 20))]))) {
    if (Date.now() >= giveUpAt) throw new OAuthTokenError('timeout', 1_000);
  }
  return shared;
}

/**
 * One isolate's copy of a token, shared by every `KvTokenSource` built for the same credential in that
 * isolate (one per request: each request brings its own `waitUntil`).
 */
export class TokenMemory {
  cached: CachedToken | null = null;
  /** The isolate's one load in progress (KV, then the refresher): concurrent misses wait for it. */
  loading: Promise<CachedToken> | null = null;
  /**
   * When the running background refresh started (0: none), so a busy isolate starts one, not one per
   * call. A time rather than a flag: a refresh whose request was cancelled never settles, and must not
   * block refreshes forever.
   */
  refreshingSince = 0;
  /**
   * Tokens invalidated here. KV is eventually consistent (a delete can take up to 60 s to reach every
   * location), so a stale read of a token this isolate already saw rejected must not be reused.
   */
  readonly rejected = new Set<string>();

  reject(token: string): void {
    if (this.cached?.token === token) this.cached = null;
    this.rejected.add(token);
    // Bounded: only the last few matter (older tokens have expired anyway).
    if (this.rejected.size > 16) {
      const oldest = this.rejected.values().next();
      if (!oldest.done) this.rejected.delete(oldest.value);
    }
  }
}

export interface KvTokenSourceOptions {
  clientId: string;
  clientSecret: string;
  /** The scope set (see `tokenScopes`); sorted, it names the cache key. */
  scopes: readonly string[];
  /** The token endpoint (see `tokenUrlFor`). */
  tokenUrl: string;
  kv: KVNamespace;
  /** The refresher named by a token's cache key (`refresherFor`, stubs.ts). */
  refresher: (cacheKey: string) => DurableObjectStub<OAuthTokenRefresher>;
  /** The isolate's memory for this credential; a fresh one when absent (a separate "isolate"). */
  memory?: TokenMemory;
  /** Keeps the background refresh alive after the response is sent (`ctx.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Milliseconds since the epoch. */
  now?: () => number;
  timing?: TokenTiming;
  /** Bound on one wait for a token not held in memory (default `DEFAULT_LOAD_TIMEOUT_MS`). */
  loadTimeoutMs?: number;
}

/**
 * The OAuth token source: isolate memory → KV (`OAUTH_TOKENS`) → the `OAuthTokenRefresher` Durable
 * Object (one per credential, single flight) → the token endpoint. A token past 80% of its lifetime is
 * still returned while a background refresh replaces it, so no request waits for a refresh; a token
 * within the skew of its expiry is never returned.
 *
 * @example
 * const tokens = new KvTokenSource({ clientId, clientSecret, scopes, tokenUrl: tokenUrlFor(base),
 *   kv: env.OAUTH_TOKENS, refresher: (key) => refresherFor(env, key), waitUntil: (p) => ctx.waitUntil(p) });
 * const bearer = await tokens.getToken();
 */
export class KvTokenSource implements TokenSource {
  readonly #options: KvTokenSourceOptions;
  readonly #memory: TokenMemory;
  readonly #now: () => number;
  readonly #timing: TokenTiming;
  #key: Promise<string> | null = null;

  constructor(options: KvTokenSourceOptions) {
    this.#options = options;
    this.#memory = options.memory ?? new TokenMemory();
    this.#now = options.now ?? Date.now;
    this.#timing = options.timing ?? DEFAULT_TIMING;
  }

  async getToken(): Promise<string> {
    const now = this.#now();
    const held = this.#memory.cached;
    if (held && isUsable(held, now, this.#timing)) {
      if (isDueForRefresh(held, now)) this.#refreshInBackground(held);
      return held.token;
    }
    const loaded = await this.#load();
    return loaded.token;
  }

  async invalidate(token: string): Promise<void> {
    this.#memory.reject(token);
    const key = await this.#cacheKey();
    await withTimeout(
      this.#options.refresher(key).invalidate(key, token, this.#now()),
      this.#options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
      () => new OAuthTokenError('timeout', 1_000),
    );
  }

  /** The KV key (and refresher name) of this source's token. */
  cacheKey(): Promise<string> {
    return this.#cacheKey();
  }

  #cacheKey(): Promise<string> {
    this.#key ??= tokenCacheKey(this.#options.clientId, this.#options.scopes);
    return this.#key;
  }

  #load(): Promise<CachedToken> {
    const bound = this.#options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
    if (this.#memory.loading) return awaitShared(this.#memory.loading, bound);
    // The shared load itself is bounded, so a hung KV read or refresher never blocks later callers.
    const loading = withTimeout(this.#loadOnce(), bound, () => new OAuthTokenError('timeout', 1_000)).finally(
      () => {
        if (this.#memory.loading === loading) this.#memory.loading = null;
      },
    );
    this.#memory.loading = loading;
    return loading;
  }

  async #loadOnce(): Promise<CachedToken> {
    const key = await this.#cacheKey();
    const fromKv = parseCachedToken(await this.#options.kv.get(key, 'json'));
    const now = this.#now();
    if (fromKv && !this.#memory.rejected.has(fromKv.token) && isUsable(fromKv, now, this.#timing)) {
      this.#keep(fromKv);
      if (isDueForRefresh(fromKv, now)) this.#refreshInBackground(fromKv);
      return fromKv;
    }
    const answer = await this.#ask(key, now, undefined);
    if (!answer.ok) throw new OAuthTokenError(answer.reason, answer.retryAfterMs);
    this.#keep(answer.token);
    return answer.token;
  }

  #refreshInBackground(held: CachedToken): void {
    const now = this.#now();
    if (this.#memory.refreshingSince !== 0 && now - this.#memory.refreshingSince < STALE_REFRESH_MS) return;
    this.#memory.refreshingSince = now;
    const run = (async () => {
      try {
        const key = await this.#cacheKey();
        const answer = await this.#ask(key, this.#now(), held.token);
        if (answer.ok) this.#keep(answer.token);
      } catch {
        // A failed background refresh leaves the current token in place; the next call past the refresh
        // point tries again (and the refresher's backoff keeps that from hammering the endpoint).
      } finally {
        this.#memory.refreshingSince = 0;
      }
    })();
    this.#options.waitUntil?.(run);
  }

  #ask(key: string, now: number, replace: string | undefined): Promise<RefresherAnswer> {
    const o = this.#options;
    const req: RefresherRequest = {
      key,
      tokenUrl: o.tokenUrl,
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      scopes: [...o.scopes],
      now,
    };
    if (replace !== undefined) req.replace = replace;
    return o.refresher(key).getToken(req);
  }

  /** Keeps the token with the latest expiry: a slow answer never replaces a newer token. */
  #keep(token: CachedToken): void {
    const held = this.#memory.cached;
    if (this.#memory.rejected.has(token.token)) return;
    if (!held || token.expiresAt >= held.expiresAt) this.#memory.cached = token;
  }
}
