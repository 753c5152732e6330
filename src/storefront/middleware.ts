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
