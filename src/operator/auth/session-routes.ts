import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../../http';
import {
  type AdminPrincipal,
  assertSameOrigin,
  authenticateAdmin,
  csrfSubject,
  isAdminToken,
} from './admin-auth';
import { csrfToken, mintSession, sessionCookie, sessionCookieName } from './session';

/**
 * The console's session, beside the admin auth it issues (all three on the public list, guard.ts):
 *
 * - `GET /admin/session` — who is signed in, how, until when, and the CSRF token for writes
 *   (`{ signed_in: false, reason }` with a 200 when nobody is, so the page can ask without an error);
 * - `POST /admin/session { token }` — sign in: the admin token, once, for a session cookie;
 * - `DELETE /admin/session` — sign out (the cookie is cleared).
 *
 * A wrong token at sign-in, or as a bearer token on the probe, counts towards its source's limit
 * (credential-limit.ts) like one on any other `/admin*` route.
 */
export function sessionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin/session', async (c) => {
    const auth = await authenticateAdmin(c);
    if (!auth.ok)
      return c.json({ signed_in: false, reason: auth.error.codes[0] ?? 'unauthorized' }, 200, NO_STORE);
    return c.json({ signed_in: true, ...(await describe(c.env, auth.principal)) }, 200, NO_STORE);
  });

  app.post('/admin/session', async (c) => {
    // No session exists yet to bind a CSRF token to, so the origin is what is checked; and the body
    // must be JSON, which a cross-site form cannot send.
    assertSameOrigin(c);
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json'))
      throw new BollardError('unsupported_media_type', {
        codes: ['content_type_invalid'],
        message: 'send { "token": "<ADMIN_TOKEN>" } as application/json',
      });
    const url = new URL(c.req.url);
    if (sessionCookieName(url) === null)
      throw new BollardError('forbidden', {
        codes: ['https_required'],
        message: 'console sessions need https (or a loopback address)',
      });
    const body = (await c.req.json().catch(() => null)) as { token?: unknown } | null;
    const token = typeof body?.token === 'string' ? body.token : '';
    if (!(await isAdminToken(c, token, 'sign_in')))
      throw new BollardError('unauthorized', {
        codes: ['admin_token_invalid'],
        message: 'that is not the admin token',
      });
    const now = Date.now();
    const minted = await mintSession(c.env, now);
    if (!minted) throw new BollardError('internal_error', { message: 'no admin token is configured' });
    c.get('log').info('console session started');
    const principal: AdminPrincipal = { via: 'session', session: minted.session };
    return c.json({ signed_in: true, ...(await describe(c.env, principal)) }, 200, {
      ...NO_STORE,
      'set-cookie': sessionCookie(url, minted.jwt, minted.session.exp - Math.floor(now / 1000)),
    });
  });

  app.delete('/admin/session', (c) => {
    assertSameOrigin(c);
    return c.json({ signed_in: false }, 200, {
      ...NO_STORE,
      'set-cookie': sessionCookie(new URL(c.req.url), null),
    });
  });

  return app;
}

const NO_STORE = { 'cache-control': 'no-store' };

async function describe(env: Env, principal: AdminPrincipal) {
  const subject = csrfSubject(principal);
  return {
    via: principal.via,
    expires_at: principal.via === 'session' ? new Date(principal.session.exp * 1000).toISOString() : null,
    email: principal.via === 'access' ? principal.email : null,
    csrf_token: subject ? await csrfToken(env, subject) : null,
  };
}
