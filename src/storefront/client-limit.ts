import type { MiddlewareHandler } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { clientIdOf } from './middleware';
import { storefrontSettings } from './settings';

/**
 * Per-client request limits on the storefront's payment endpoints, with no Durable Object round trip:
 *
 * 1. The `STOREFRONT_CLIENT_LIMITER` Rate Limiting binding (`[[ratelimits]]` in wrangler.toml), keyed by
 *    the client's address: the limit across the isolates of a Cloudflare location. Its limit and period
 *    are static configuration; Cloudflare keeps the counters at the location, so the call is local.
 *    https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 * 2. `STOREFRONT_CLIENT_LIMIT_PER_MINUTE`: a token bucket per client in this isolate's memory, checked
 *    first. It can make the limit stricter than the binding's (per isolate), never looser.
 *
 * Over either: 429 `client_rate_limited` with `Retry-After`. CORS preflights are not counted.
 */

/**
 * The binding says only yes or no, not when its window ends; its period is 10 or 60 seconds, so after
 * 60 s a refused client is certainly counted afresh.
 */
const LIMITER_RETRY_AFTER_SECONDS = 60;

/** Clients tracked per isolate; past it the least recently seen are forgotten (the binding still counts). */
const MAX_TRACKED_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
  perMinute: number;
}

/**
 * Token buckets per client in memory: `perMinute` deep, refilled at `perMinute / 60` per second. Plain
 * numbers, shared by the isolate's requests (nothing awaits between reading and writing a bucket).
 */
export class IsolateBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(readonly maxClients = MAX_TRACKED_CLIENTS) {}

  /** Takes one request from `client`'s bucket: 0 when allowed, else the seconds until one is. */
  take(client: string, perMinute: number, now: number): number {
    const rate = perMinute / 60_000;
    const found = this.#buckets.get(client);
    const b: Bucket =
      found && found.perMinute === perMinute ? found : { tokens: perMinute, at: now, perMinute };
    b.tokens = Math.min(perMinute, b.tokens + Math.max(0, now - b.at) * rate);
    b.at = now;
    // Re-inserted so the map's order is least recently seen first, which is what eviction drops.
    this.#buckets.delete(client);
    this.#buckets.set(client, b);
    this.#evict();
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    // Whole milliseconds first, so float dust (0.999…) never adds a second.
    return Math.max(1, Math.ceil(Math.round((1 - b.tokens) / rate) / 1000));
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(): void {
    for (const client of this.#buckets.keys()) {
      if (this.#buckets.size <= this.maxClients) return;
      this.#buckets.delete(client);
    }
  }
}

const isolateBuckets = new IsolateBuckets();
let warnedUnbound = false;

function limited(message: string, retryAfter: number): BollardError {
  return new BollardError('too_many_requests', { codes: ['client_rate_limited'], message, retryAfter });
}

/** Per-client request limit on the payment endpoints: 429 with `Retry-After` when spent. */
export function clientLimit(): MiddlewareHandler<AppEnv> {
  return async function clientLimitMiddleware(c, next) {
    if (c.req.method === 'OPTIONS') return next();
    const { clientLimitPerMinute } = storefrontSettings(c.env);
    const client = clientIdOf(c.req);
    const wait = isolateBuckets.take(client, clientLimitPerMinute, Date.now());
    if (wait > 0) {
      throw limited(`too many requests from this client: at most ${clientLimitPerMinute} per minute`, wait);
    }
    // Absent where a harness builds the Worker without wrangler.toml's [[ratelimits]]: the bucket above
    // still holds. The doctor's view of bindings is the place to notice it in a deployment.
    const limiter: RateLimit | undefined = c.env.STOREFRONT_CLIENT_LIMITER;
    if (limiter === undefined) {
      if (!warnedUnbound) {
        warnedUnbound = true;
        c.get('log').warn('STOREFRONT_CLIENT_LIMITER is not bound: per-client limits are per isolate only');
      }
      return next();
    }
    let allowed = true;
    try {
      allowed = (await limiter.limit({ key: client })).success;
    } catch (err) {
      // A limiter that cannot answer must not stop payments: the in-isolate bucket still applies.
      c.get('log').warn('client rate limiter failed; allowing the request', { error: err });
    }
    if (!allowed) {
      throw limited(
        'too many requests from this client; retry after Retry-After seconds',
        LIMITER_RETRY_AFTER_SECONDS,
      );
    }
    return next();
  };
}
