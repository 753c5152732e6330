import { Hono } from 'hono';
import { adminAuth } from '../http/admin-auth';
import type { AppEnv } from '../http/hono-env';
import { metricsSummary, type SummaryOptions } from './summary';

/** `GET /admin/metrics?window=1h` (admin token): requests, errors, latency and governor waits. */
export function metricsRoutes(options: SummaryOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/admin/metrics', adminAuth(), async (c) =>
    c.json(await metricsSummary(c.env, c.req.query('window'), options)),
  );
  return app;
}
