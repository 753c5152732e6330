import type { MetricsSurface } from './surface';

/**
 * One request as the metrics see it. Every field is a label Bollard chose or a number it measured: the
 * route is the template it matched (`/admin/events/:id`, never the concrete path with its ids), and
 * nothing here is read from a header, a query string or a body — so no key, token, card number or body
 * can reach Analytics Engine, whose rows anyone with account analytics access can read.
 */
export interface RequestMetric {
  surface: MetricsSurface;
  /** The matched route template, or `unmatched` (no route: a 404). */
  route: string;
  method: string;
  /** The calling agent (`agt_…`) when the agent gateway identified one, else ''. */
  agentId: string;
  status: number;
  /** The last upstream attempt's status; 0 when nothing was sent upstream, -1 when it got no answer. */
  upstreamStatus: number;
  upstreamAttempts: number;
  latencyMs: number;
  governorWaitMs: number;
  /** `CHECKOUT_ENVIRONMENT` (sandbox / production), to tell deployments apart in one dataset. */
  environment: string;
  /** The Cloudflare location that served the request (`request.cf.colo`), or ''. */
  colo: string;
}

/** The layout of a data point in the `bollard_requests` dataset (docs/operations.md, "Metrics"). */
export const DATA_POINT_LAYOUT = {
  index1: 'surface',
  blobs: ['surface', 'route', 'method', 'agent_id', 'status_class', 'environment', 'colo'],
  doubles: ['status', 'upstream_status', 'latency_ms', 'governor_wait_ms', 'upstream_attempts'],
} as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const AGENT_ID = /^agt_[A-Za-z0-9]{1,64}$/;
const ROUTE = /^[A-Za-z0-9/:_.*{}-]{1,200}$/;

/** Labels reduced to what they may be: a known method, a route template, an agent id of its shape. */
export function sanitizeMetric(m: RequestMetric): RequestMetric {
  return {
    ...m,
    route: ROUTE.test(m.route) ? m.route : 'unmatched',
    method: METHODS.has(m.method) ? m.method : 'OTHER',
    agentId: AGENT_ID.test(m.agentId) ? m.agentId : '',
    environment: /^[a-z_-]{1,32}$/.test(m.environment) ? m.environment : '',
    colo: /^[A-Z]{3,4}$/.test(m.colo) ? m.colo : '',
  };
}

export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** The Analytics Engine data point for a request (layout above). */
export function toDataPoint(metric: RequestMetric): AnalyticsEngineDataPoint {
  const m = sanitizeMetric(metric);
  return {
    indexes: [m.surface],
    blobs: [m.surface, m.route, m.method, m.agentId, statusClass(m.status), m.environment, m.colo],
    doubles: [m.status, m.upstreamStatus, m.latencyMs, m.governorWaitMs, m.upstreamAttempts],
  };
}
