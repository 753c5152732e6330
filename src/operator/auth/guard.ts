import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { LinearRouter } from 'hono/router/linear-router';
import type { AppEnv } from '../../http';
import { adminAuth } from './admin-auth';

/**
 * The `/admin*` routes anyone may call, and why. Every other `/admin*` request — any method, any path,
 * routes registered later included — needs admin credentials (`adminGuard`). Keep this list short: a
 * route belongs here only if it serves no operator data and changes nothing but the caller's own cookie.
 */
export const PUBLIC_ADMIN_ROUTES = [
  { method: 'GET', path: '/admin', why: 'the console page: a static shell that carries no data' },
  { method: 'GET', path: '/admin/', why: 'a redirect to /admin' },
  { method: 'GET', path: '/admin/console/:file', why: 'the console’s scripts and stylesheet' },
  {
    method: 'GET',
    path: '/admin/session',
    why: 'what the page asks first: signed in or not (a 200 either way, so it can show the sign-in form)',
  },
  { method: 'POST', path: '/admin/session', why: 'sign-in: the admin token, once, for a session cookie' },
  {
    method: 'DELETE',
    path: '/admin/session',
    why: 'sign-out: clears the cookie, an expired one too (same origin only)',
  },
] as const;

const publicRoutes = new LinearRouter<true>();
for (const r of PUBLIC_ADMIN_ROUTES) publicRoutes.add(r.method, r.path, true);

/** Whether a request is on the public list, matched the way Hono routes it (HEAD as GET). */
export function isPublicAdminRoute(method: string, path: string): boolean {
  const [handlers] = publicRoutes.match(method === 'HEAD' ? 'GET' : method, path);
  return handlers.length > 0;
}

/** Paths the guard covers: `/admin` and everything that starts with it. */
export function isAdminPath(path: string): boolean {
  return path.startsWith('/admin');
}

/**
 * The route that would have answered, for the metrics' route label of a refusal: the first matched
 * handler after this middleware (`use` middleware is registered for every method, `ALL`).
 */
function answeringRoute(c: Context<AppEnv>): string {
  return (
    matchedRoutes(c)
      .slice(c.req.routeIndex + 1)
      .find((r) => r.method !== 'ALL')?.path ?? 'unmatched'
  );
}

/**
 * Admin auth, deny by default: registered once by the operator module ahead of every route, it runs
 * `adminAuth()` (the admin token, a Cloudflare Access assertion or a console session; CSRF on writes; the
 * per-source limit on wrong tokens) for every `/admin*` request that is not on `PUBLIC_ADMIN_ROUTES`,
 * whether or not a route matches it. Route modules never add auth themselves, so a new route is guarded
 * without its author doing anything (test/operator/deny-by-default.test.ts walks every route to check).
 *
 * @example
 * app.use('*', adminGuard()); // before any route
 */
export function adminGuard(): MiddlewareHandler<AppEnv> {
  const auth = adminAuth();
  return async function adminGuardMiddleware(c, next) {
    if (!isAdminPath(c.req.path) || isPublicAdminRoute(c.req.method, c.req.path)) return next();
    try {
      await auth(c, next);
    } catch (err) {
      c.set('route', answeringRoute(c));
      throw err;
    }
  };
}
