import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';

/**
 * The operator console's static files, served by the Worker itself (public: they carry no data):
 *
 * - `GET /admin` — the page (a static shell; everything it shows comes from the admin API, fetched
 *   same-origin with the session cookie), `GET /admin/console/<file>` — its scripts and stylesheet.
 *
 * Signing in is `/admin/session`, beside the admin auth it issues (src/operator/auth/session-routes.ts).
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

  return app;
}
