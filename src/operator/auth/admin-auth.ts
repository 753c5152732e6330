import type { Context, MiddlewareHandler } from 'hono';
import { type AppEnv, BollardError } from '../../http';
import { safeEqual } from '../../http/safe-equal';
import { accessConfig, verifyAccessJwt } from './access';
import { type AdminTokenChannel, beginAdminTokenAttempt } from './credential-limit';
import {
  csrfToken,
  mintSession,
  readSessionCookie,
  SESSION_REFRESH_BELOW_S,
  type Session,
  sessionCookie,
  verifySession,
} from './session';

/**
 * Whether `presented` is `ADMIN_TOKEN`, compared in constant time, under the per-source limit on wrong
 * tokens (credential-limit.ts): a source past it gets 429 before anything is compared, and a wrong token
 * (or none configured) is counted.
 */
export async function isAdminToken(
  c: Context<AppEnv>,
  presented: string | undefined,
  channel: AdminTokenChannel,
  nowMs = Date.now(),
): Promise<boolean> {
  const attempt = beginAdminTokenAttempt(c, channel, nowMs);
  const expected = c.env.ADMIN_TOKEN;
  if (expected && presented && (await safeEqual(presented, expected))) return true;
  attempt.failed();
  return false;
}

/** Who an admin request is from, and by which credential. */
export type AdminPrincipal =
  | { via: 'token' }
  | { via: 'session'; session: Session }
  | { via: 'access'; subject: string; email: string | null };

export type AdminAuthResult = { ok: true; principal: AdminPrincipal } | { ok: false; error: BollardError };

const unauthorized = (code: string, message: string) =>
  new BollardError('unauthorized', { codes: [code], message });

/**
 * Finds the request's admin credential, in this order, and verifies it:
 * 1. `Authorization: Bearer <ADMIN_TOKEN>` (scheme case-insensitive) — curl, the CLI. A present but
 *    wrong header is refused (and counted towards its source's limit: past it, this throws a 429); it
 *    never falls through to the others.
 * 2. `Cf-Access-Jwt-Assertion`, when Cloudflare Access is configured (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`).
 * 3. The console's session cookie.
 */
export async function authenticateAdmin(c: Context<AppEnv>, nowMs = Date.now()): Promise<AdminAuthResult> {
  const authorization = c.req.header('authorization');
  if (authorization !== undefined) {
    // The scheme name is case-insensitive (RFC 9110 §11.1): `bearer x` is as good as `Bearer x`.
    const presented = /^Bearer ([^\s]+)$/i.exec(authorization)?.[1];
    if (await isAdminToken(c, presented, 'bearer', nowMs)) return { ok: true, principal: { via: 'token' } };
    return {
      ok: false,
      error: unauthorized(
        'admin_token_invalid',
        'a valid admin token is required (Authorization: Bearer <ADMIN_TOKEN>)',
      ),
    };
  }
  const access = accessConfig(c.env);
  const assertion = c.req.header('cf-access-jwt-assertion');
  if (access && assertion) {
    const checked = await verifyAccessJwt(access, assertion, nowMs);
    if (checked.ok) return { ok: true, principal: { via: 'access', ...checked.identity } };
    return { ok: false, error: unauthorized(checked.reason, 'the Cloudflare Access token was not accepted') };
  }
  const url = new URL(c.req.url);
  const cookie = readSessionCookie(url, c.req.header('cookie'));
  if (cookie) {
    const checked = await verifySession(c.env, cookie, nowMs);
    if (checked.ok) return { ok: true, principal: { via: 'session', session: checked.session } };
    return {
      ok: false,
      error: unauthorized(
        checked.reason,
        checked.reason === 'session_expired' ? 'the session has expired: sign in again' : 'sign in again',
      ),
    };
  }
  return {
    ok: false,
    error: unauthorized(
      'admin_token_invalid',
      'a valid admin token is required (Authorization: Bearer <ADMIN_TOKEN>), or a console session',
    ),
  };
}

/** What a principal's CSRF token is bound to; null for the bearer token, which is not ambient. */
export function csrfSubject(principal: AdminPrincipal): string | null {
  if (principal.via === 'session') return `session:${principal.session.sid}`;
  if (principal.via === 'access') return `access:${principal.subject}`;
  return null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: a cookie or an Access assertion travels with any request the browser
 * makes, so every write authenticated by one must come from this origin (`Origin` equal to the
 * request's own, `Sec-Fetch-Site: same-origin` when sent) and carry the principal's CSRF token in
 * `X-CSRF-Token` — a custom header, which a cross-site page cannot send without a CORS preflight that
 * Bollard never grants. SameSite=Strict on the cookie is the first line; these hold without it.
 * (`hono/csrf` checks the Origin only for form content types; JSON writes need it too.)
 */
export async function checkCsrf(c: Context<AppEnv>, principal: AdminPrincipal): Promise<void> {
  const subject = csrfSubject(principal);
  if (subject === null || SAFE_METHODS.has(c.req.method)) return;
  assertSameOrigin(c);
  const presented = c.req.header('x-csrf-token');
  if (!presented || !(await safeEqual(presented, await csrfToken(c.env, subject))))
    throw new BollardError('forbidden', {
      codes: ['csrf_token_invalid'],
      message: 'this write needs the X-CSRF-Token from GET /admin/session',
    });
}

/** Refuses a request whose `Origin` (required) or `Sec-Fetch-Site` says it comes from another site. */
export function assertSameOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site');
  if (origin !== new URL(c.req.url).origin || (site !== undefined && site !== 'same-origin'))
    throw new BollardError('forbidden', {
      codes: ['csrf_origin_invalid'],
      message: 'cross-site writes are refused',
    });
}

/**
 * Guards operator routes: the admin token, a Cloudflare Access assertion or a console session
 * (`authenticateAdmin`), with CSRF checks on writes made with the latter two. A missing, malformed,
 * expired or forged credential — or none configured — is a 401 in the one error shape; a cross-site
 * write a 403; a source past its wrong-token limit a 429. A console session close to its idle expiry is
 * renewed on the answer (sliding). The operator module applies it once, to every `/admin*` route but
 * the public ones (`adminGuard`, guard.ts); route modules never add it themselves.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuthMiddleware(c, next) {
    const now = Date.now();
    const auth = await authenticateAdmin(c, now);
    if (!auth.ok) throw auth.error;
    await checkCsrf(c, auth.principal);
    c.set('adminVia', auth.principal.via);
    await next();
    if (auth.principal.via !== 'session') return;
    const session = auth.principal.session;
    if (session.exp - Math.floor(now / 1000) >= SESSION_REFRESH_BELOW_S) return;
    const renewed = await mintSession(c.env, now, session);
    if (renewed && renewed.session.exp > session.exp) {
      const maxAge = renewed.session.exp - Math.floor(now / 1000);
      try {
        c.res.headers.append('set-cookie', sessionCookie(new URL(c.req.url), renewed.jwt, maxAge));
      } catch {
        // An answer with immutable headers (a passed-through response) simply keeps the old cookie.
      }
    }
  };
}
