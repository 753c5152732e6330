import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../http/hono-env';
import { isolateAggregate, type RollingAggregate } from './aggregate';
import { type RequestMetric, sanitizeMetric, toDataPoint } from './data-point';
import { observeUpstream } from './request-observer';
import { surfaceOf } from './surface';

/** Where data points go: the `METRICS` Analytics Engine binding, or what a test injects. */
export type DataPointWriter = Pick<AnalyticsEngineDataset, 'writeDataPoint'>;

export interface RequestMetricsOptions {
  /** Default: `env.METRICS` (absent: no data point, the in-isolate summary still counts). */
  writer?: (env: Env) => DataPointWriter | undefined;
  /** Default: the isolate's aggregate behind `GET /admin/metrics`. */
  aggregate?: RollingAggregate;
  now?: () => number;
}

/**
 * The route template that answered: the handler's registered path (`/admin/events/:id`), or `unmatched`
 * when only catch-all middleware ran (a 404 without a route).
 */
export function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const route = matchedRoutes(c).at(c.req.routeIndex);
  if (!route) return 'unmatched';
  if (route.method === 'ALL' && (route.path === '*' || route.path === '/*')) return 'unmatched';
  return route.path;
}

/**
 * One Analytics Engine data point per request (docs/operations.md, "Metrics"): surface, route template,
 * method, agent id (when the agent gateway set `c.set('agentId', …)`), status, the last upstream status
 * and attempts, latency, and the time spent waiting for the rate governor. Writing is fire-and-forget
 * (the binding buffers it; nothing is awaited), so it adds no round trip to any request.
 *
 * @example
 * app.use('*', requestContext());
 * app.use('*', requestMetrics());
 */
export function requestMetrics(options: RequestMetricsOptions = {}): MiddlewareHandler<AppEnv> {
  const writerFor = options.writer ?? ((env: Env) => env.METRICS);
  const aggregate = options.aggregate ?? isolateAggregate;
  const now = options.now ?? Date.now;
  return async function requestMetricsMiddleware(c, next) {
    const started = now();
    const [, upstream] = await observeUpstream(() => next());
    const status = c.res.status;
    const cf = (c.req.raw as Request & { cf?: { colo?: unknown } }).cf;
    const metric: RequestMetric = sanitizeMetric({
      surface: surfaceOf(c.req.path),
      route: c.get('route') ?? routeOf(c),
      method: c.req.method,
      agentId: c.get('agentId') ?? '',
      status,
      upstreamStatus:
        upstream.lastStatus === undefined ? 0 : upstream.lastStatus === null ? -1 : upstream.lastStatus,
      upstreamAttempts: upstream.attempts,
      latencyMs: Math.max(0, now() - started),
      governorWaitMs: upstream.governorWaitMs,
      environment: c.env?.CHECKOUT_ENVIRONMENT ?? '',
      colo: typeof cf?.colo === 'string' ? cf.colo : '',
    });
    aggregate.add(metric, now());
    try {
      writerFor(c.env)?.writeDataPoint(toDataPoint(metric));
    } catch (err) {
      // Metrics never fail a request.
      c.get('log')?.warn('metrics data point not written', { error: err });
    }
  };
}
