import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { type AppEnv, BollardError } from '../http';
import { storefrontSettings } from './settings';

/** Headers a storefront page may send and read. */
const ALLOW_HEADERS = ['Content-Type', 'Idempotency-Key', 'X-Request-Id'];
/** `Cko-Idempotency-Key`: the key a submit's answer names, which the page retries with after a 504. */
const EXPOSE_HEADERS = ['Cko-Request-Id', 'Cko-Idempotency-Key', 'Idempotent-Replayed', 'Retry-After'];

/**
 * CORS for the configured storefront origins only (preflight included). Any other `Origin` is refused
 * with a 403 and gets no `Access-Control-Allow-*` header; a request without `Origin` (a server, curl) is
 * not a browser and passes to the other guards.
 */
export function storefrontCors(): MiddlewareHandler<AppEnv> {
  const allow = cors({
    origin: (origin, c) => (storefrontSettings(c.env).origins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
  return async function storefrontCorsMiddleware(c, next) {
    const origin = c.req.header('origin');
    if (origin !== undefined && !storefrontSettings(c.env).origins.includes(origin)) {
      throw new BollardError('forbidden', {
        codes: ['origin_not_allowed'],
        message: 'this origin is not a configured storefront origin',
      });
    }
    return allow(c, next);
  };
}

/** The client a request counts against: the connecting IP Cloudflare reports (not spoofable behind it). */
export function clientIdOf(headers: { header(name: string): string | undefined }): string {
  return headers.header('cf-connecting-ip') ?? 'unknown';
}

/**
 * Requests this isolate took from a client's budget and has not spent yet. Plain numbers (no promises are
 * shared across requests). Each lease holds at most 1/12 of the per-minute budget (so at most 5 s worth)
 * and lapses after 5 s, so a client can never exceed its budget and an isolate never hoards it; with a
 * small budget (under 24/min) every request asks the Durable Object, exactly.
 */
const leases = new Map<string, { left: number; until: number }>();
const LEASE_MS = 5_000;

function spendLease(key: string, now: number): boolean {
  const lease = leases.get(key);
  if (!lease || lease.until <= now || lease.left <= 0) return false;
  lease.left--;
  return true;
}

function keepLease(key: string, left: number, now: number): void {
  if (left <= 0) return;
  if (leases.size >= 10_000) {
    for (const [k, v] of leases) if (v.until <= now) leases.delete(k);
    if (leases.size >= 10_000) leases.clear();
  }
  leases.set(key, { left, until: now + LEASE_MS });
}

/** Per-client request budget on the payment endpoints: 429 with `Retry-After` when spent. */
export function clientLimit(): MiddlewareHandler<AppEnv> {
  return async function clientLimitMiddleware(c, next) {
    if (c.req.method === 'OPTIONS') return next();
    const { clientLimitPerMinute } = storefrontSettings(c.env);
    const key = `client:${clientIdOf(c.req)}`;
    const now = Date.now();
    if (spendLease(`${clientLimitPerMinute}|${key}`, now)) return next();
    const want = Math.max(1, Math.floor(clientLimitPerMinute / 12));
    const taken = await c.env.STOREFRONT_GUARD.getByName(key).take(clientLimitPerMinute, want);
    if (!taken.allowed) {
      throw new BollardError('too_many_requests', {
        codes: ['client_rate_limited'],
        message: `too many requests from this client: at most ${clientLimitPerMinute} per minute`,
        retryAfter: taken.retryAfterSeconds,
      });
    }
    keepLease(`${clientLimitPerMinute}|${key}`, taken.granted - 1, now);
    return next();
  };
}

/**
 * JSON bodies only, size-capped, parsed once: 415 for another content type, 413 past the cap (by
 * `Content-Length` or while streaming), 400 for malformed JSON or a non-object. The parsed body is cached
 * on the request, so the route's validator does not read it again.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async function jsonBodyMiddleware(c, next) {
    if (c.req.method !== 'POST') return next();
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type.trim())) {
      throw new BollardError('unsupported_media_type', {
        codes: ['content_type_invalid'],
        message: 'send the body as application/json',
      });
    }
    const { bodyLimitBytes } = storefrontSettings(c.env);
    const limited = bodyLimit({
      maxSize: bodyLimitBytes,
      onError: () => {
        throw new BollardError('payload_too_large', {
          codes: ['body_too_large'],
          message: `the body must be at most ${bodyLimitBytes} bytes`,
        });
      },
    });
    return limited(c, async () => {
      let parsed: unknown;
      try {
        parsed = await c.req.json();
      } catch {
        throw new BollardError('request_malformed', {
          codes: ['body_malformed'],
          message: 'the body is not valid JSON',
        });
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new BollardError('request_malformed', {
          codes: ['body_malformed'],
          message: 'the body must be a JSON object',
        });
      }
      await next();
    });
  };
}
