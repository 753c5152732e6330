import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../http';

/**
 * Security headers for every `/admin*` answer (Hono's `secureHeaders`): a Content-Security-Policy that
 * allows scripts and styles from this origin only — no inline script or style, no eval — and nothing
 * else; no framing; no referrer; and `no-store` unless the route chose its own caching.
 */
export function consoleSecurityHeaders(): MiddlewareHandler<AppEnv> {
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    crossOriginEmbedderPolicy: false,
  });
  return async function consoleSecurityHeadersMiddleware(c, next) {
    await headers(c, async () => {
      await next();
      if (!c.res.headers.has('cache-control')) {
        try {
          c.res.headers.set('cache-control', 'no-store');
        } catch {
          // immutable headers: leave them
        }
      }
    });
  };
}
