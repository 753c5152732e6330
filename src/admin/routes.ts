import { Hono } from 'hono';
import { adminAuth } from '../http/admin-auth';
import type { AppEnv } from '../http/hono-env';
import { readStatus } from './status';

/**
 * Operator routes that span areas. `GET /admin/status` (admin token): the effective auth mode, each
 * surface's OAuth token state (never the token), the enabled surfaces, upstream deadlines, and the rate
 * governor's budgets, leases and shed counts.
 */
export function adminRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/admin/status', adminAuth(), async (c) => c.json(await readStatus(c.env)));
  return app;
}
