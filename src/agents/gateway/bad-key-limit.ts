import type { MiddlewareHandler } from 'hono';
import { type AppEnv, BollardError } from '../../http';
import { attemptSource } from '../model/attempts';
import { hashAgentKey, presentedKey } from '../model/keys';
import { badKeyLimitPerMinute } from '../model/retention';

/**
 * A per-source limit on bad agent keys, in the isolate's memory (no Durable Object round trip, no storage):
 * once a source (`CF-Connecting-IP`, IPv6 by /64) has been answered 401 `AGENT_BAD_KEY_LIMIT_PER_MINUTE`
 * times in the current minute, its further agent requests are answered 429 with `Retry-After` (the
 * seconds left in the minute) before anything else is done — unless they carry a key this isolate saw
 * succeed in the last 10 minutes, so an agent sharing an address with a flood keeps working.
 *
 * Per isolate, like the storefront's bucket (`src/storefront/client-limit.ts`): a flood spread over many
 * isolates or locations passes more attempts, which the per-minute aggregation of bad-key attempts
 * (`src/agents/objects/agent/attempt-windows.ts`) still turns into one entry per source and minute. A request without
 * `CF-Connecting-IP` did not come through Cloudflare's edge (a service binding, a test) and is not limited.
 * The trust list is only an exemption from this limit: every call is still authenticated by its agent's
 * object, so a revoked key is refused on its next call (and dropped from the list).
 */

const WINDOW_MS = 60_000;
/** Sources and keys tracked per isolate; past it the least recently seen are forgotten. */
const MAX_TRACKED = 10_000;
/** How long a key that succeeded here is exempt from its source's limit. */
const TRUST_MS = 10 * 60_000;

interface SourceWindow {
  window: number;
  failures: number;
  warned: boolean;
}

/** Bad-key counts per source and minute, and keys seen to succeed, in one isolate's memory. */
export class BadKeyLimiter {
  readonly #sources = new Map<string, SourceWindow>();
  readonly #trusted = new Map<string, number>();

  constructor(readonly maxTracked = MAX_TRACKED) {}

  /** 0 when `source` may go on, else the seconds until its minute ends. */
  retryAfter(source: string, limit: number, now: number): number {
    if (limit <= 0) return 0;
    const w = this.#sources.get(source);
    if (!w || w.window !== Math.floor(now / WINDOW_MS) || w.failures < limit) return 0;
    return Math.max(1, Math.ceil(((w.window + 1) * WINDOW_MS - now) / 1000));
  }

  /** Counts a 401 for `source`; true the first time the source reaches `limit` this minute (log it once). */
  fail(source: string, limit: number, now: number): boolean {
    const window = Math.floor(now / WINDOW_MS);
    const found = this.#sources.get(source);
    const w = found && found.window === window ? found : { window, failures: 0, warned: false };
    w.failures++;
    this.#touch(this.#sources, source, w);
    if (limit > 0 && w.failures >= limit && !w.warned) {
      w.warned = true;
      return true;
    }
    return false;
  }

  trust(keyHash: string, now: number): void {
    this.#touch(this.#trusted, keyHash, now + TRUST_MS);
  }

  distrust(keyHash: string): void {
    this.#trusted.delete(keyHash);
  }

  isTrusted(keyHash: string, now: number): boolean {
    return (this.#trusted.get(keyHash) ?? 0) > now;
  }

  /** Re-inserted so the map's order is least recently seen first, which is what eviction drops. */
  #touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    for (const k of map.keys()) {
      if (map.size <= this.maxTracked) break;
      map.delete(k);
    }
  }
}

const limiter = new BadKeyLimiter();

/**
 * `/agent/v1/*` and `/agent/mcp`: refuses a source past its bad keys for the minute (429
 * `agent_key_rate_limited`, `Retry-After`), counts each 401 answer, and remembers keys that got anything
 * else but a 503 (the key was good).
 */
export function badKeyLimit(): MiddlewareHandler<AppEnv> {
  return async function badKeyLimitMiddleware(c, next) {
    const header = c.req.header('cf-connecting-ip');
    if (header === undefined) return next();
    const limit = badKeyLimitPerMinute(c.env);
    if (limit <= 0) return next();
    const source = attemptSource(header);
    const presented = presentedKey(c.req.header('authorization'));
    const keyHash = presented.kind === 'key' ? await hashAgentKey(presented.key) : null;
    const wait = limiter.retryAfter(source, limit, Date.now());
    if (wait > 0 && (keyHash === null || !limiter.isTrusted(keyHash, Date.now())))
      throw new BollardError('too_many_requests', {
        codes: ['agent_key_rate_limited'],
        message: 'too many requests with a bad agent key from this address; retry after Retry-After seconds',
        retryAfter: wait,
      });
    await next();
    const status = c.res.status;
    if (status === 401) {
      if (keyHash !== null) limiter.distrust(keyHash);
      if (limiter.fail(source, limit, Date.now()))
        c.get('log').warn('agent bad-key limit reached', { source, limit_per_minute: limit });
    } else if (keyHash !== null && status !== 503) limiter.trust(keyHash, Date.now());
  };
}
