import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';
import {
  type AdminPrincipal,
  assertSameOrigin,
  authenticateAdmin,
  csrfSubject,
  safeEqual,
} from '../http/admin-auth';
import { csrfToken, mintSession, sessionCookie, sessionCookieName } from './session';

/**
 * The operator console, served by the Worker itself:
 *
 * - `GET /admin` — the page (a static shell; everything it shows comes from the admin API, fetched
 *   same-origin with the session cookie), `GET /admin/console/<file>` — its scripts and stylesheet;
 * - `GET /admin/session` — who is signed in, how, until when, and the CSRF token for writes
 *   (`{ signed_in: false, reason }` with a 200 when nobody is, so the page can ask without an error);
 * - `POST /admin/session { token }` — sign in: the admin token, once, for a session cookie;
 * - `DELETE /admin/session` — sign out (the cookie is cleared).
 */
export function consoleRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin', async (c) => {
    const { consolePage } = await import('./page');
    return c.html(consolePage(), 200, { 'cache-control': 'no-store' });
  });
  app.get('/admin/', (c) => c.redirect('/admin', 308));

  app.get('/admin/console/:file', async (c) => {
    const { CONSOLE_ASSETS } = await import('./assets');
    const asset = CONSOLE_ASSETS[c.req.param('file')];
    if (!asset) throw new BollardError('not_found', { codes: ['route_not_found'], message: 'no such file' });
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
  });

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
    const expected = c.env.ADMIN_TOKEN;
    if (!expected || !token || !(await safeEqual(token, expected))) {
      c.get('log').warn('console sign-in refused');
      throw new BollardError('unauthorized', {
        codes: ['admin_token_invalid'],
        message: 'that is not the admin token',
      });
    }
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
