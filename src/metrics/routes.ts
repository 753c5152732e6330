import { Hono } from 'hono';
import type { AppEnv } from '../http/hono-env';
import { metricsSummary, type SummaryOptions } from './summary';

/**
 * `GET /admin/metrics?window=1h`: requests, errors, latency and governor waits (admin credentials, applied
 * where src/operator mounts it).
 */
export function metricsRoutes(options: SummaryOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/admin/metrics', async (c) => c.json(await metricsSummary(c.env, c.req.query('window'), options)));
  return app;
}
