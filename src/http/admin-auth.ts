import type { MiddlewareHandler } from 'hono';
import { BollardError } from './errors';
import type { AppEnv } from './hono-env';

const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their digests, never on where they first differ.
 * Both sides are hashed first so that unequal lengths take the same path as unequal contents.
 */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/**
 * Guards operator routes with `Authorization: Bearer <ADMIN_TOKEN>`. A missing, malformed or wrong
 * token — or no `ADMIN_TOKEN` configured at all — is a 401 in the one error shape.
 *
 * @example
 * app.use('/admin/*', adminAuth());
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuthMiddleware(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    // The scheme name is case-insensitive (RFC 9110 §11.1): `bearer x` is as good as `Bearer x`.
    const match = /^Bearer ([^\s]+)$/i.exec(c.req.header('authorization') ?? '');
    const presented = match?.[1];
    if (!expected || !presented || !(await safeEqual(presented, expected))) {
      throw new BollardError('unauthorized', {
        codes: ['admin_token_invalid'],
        message: 'a valid admin token is required (Authorization: Bearer <ADMIN_TOKEN>)',
      });
    }
    await next();
  };
}
