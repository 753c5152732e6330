import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { summaryQueries } from '../../src/metrics/sql-api';
import { metricsSummary } from '../../src/metrics/summary';
import { fakeSqlApi, type SqlApiData } from './fake-sql-api';

/**
 * `/admin/metrics` over the Workers Analytics Engine SQL API, against a fake that answers in the shape
 * Cloudflare publishes (fake-sql-api.ts):
 * - https://developers.cloudflare.com/analytics/analytics-engine/sql-api/ — the endpoint
 *   `POST /client/v4/accounts/<account_id>/analytics_engine/sql`, `Authorization: Bearer <token>` (a token
 *   with Account Analytics: Read), the query text as the body, and `SUM(_sample_interval)` /
 *   `SUM(_sample_interval * x) / SUM(_sample_interval)` for sampled data;
 * - https://developers.cloudflare.com/analytics/analytics-engine/sql-reference/statements/#json — `FORMAT
 *   JSON` answers `{ meta: [{ name, type }], data: [{ column: value }], rows }`;
 * - https://developers.cloudflare.com/analytics/analytics-engine/sql-reference/aggregate-functions/ —
 *   `quantileExactWeighted(q)(column, _sample_interval)`; conditional-functions/ — `if(cond, a, b)`.
 */
const ACCOUNT = '0123456789abcdef0123456789abcdef';
const TOKEN = 'cf_token_value';
const configured = {
  ...env,
  CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
  CF_API_TOKEN: TOKEN,
  METRICS_DATASET: 'bollard_requests',
} as Env;

/** One group's statistics as the queries name them (the fake encodes them as the engine would). */
const stats = (requests: number, extra: Record<string, number | string> = {}) => ({
  requests,
  s2xx: requests - 20,
  s3xx: 0,
  s4xx: 15,
  s5xx: 5,
  latency_avg: 80.25,
  p50: 60,
  p95: 300,
  p99: 900,
  wait_avg: 1.5,
  wait_max: 40,
  upstream_requests: requests - 10,
  upstream_attempts: requests - 2,
  throttled: 2,
  upstream_failed: 5,
  ...extra,
});

const DATA: SqlApiData = {
  totals: stats(120),
  surfaces: [
    { surface: 'storefront', ...stats(100) },
    { surface: 'agents', ...stats(20) },
  ],
  routes: [
    { surface: 'storefront', method: 'POST', route: '/v1/payment-sessions', ...stats(100) },
    { surface: 'agents', method: 'POST', route: '/agent/v1/payments', ...stats(20) },
  ],
  agents: [{ agent_id: 'agt_a', ...stats(20) }],
};

describe('/admin/metrics over the Analytics Engine SQL API', () => {
  it('sends each query as documented and reads FORMAT JSON answers, counts as quoted UInt64', async () => {
    const api = fakeSqlApi(ACCOUNT, DATA);
    const s = await metricsSummary(configured, '7d', { fetch: api.fetch });
    expect(s).toMatchObject({ source: 'analytics_engine', approximate: false, window: '7d' });
    expect(api.requests).toHaveLength(4);
    for (const r of api.requests) {
      expect(r).toMatchObject({
        url: `https://api.cloudflare.com/client/v4/accounts/${ACCOUNT}/analytics_engine/sql`,
        method: 'POST',
        authorization: `Bearer ${TOKEN}`,
      });
      expect(r.query).toMatch(/^SELECT /);
      expect(r.query).toContain('FROM bollard_requests');
      expect(r.query).toContain("WHERE timestamp > NOW() - INTERVAL '10080' MINUTE");
      expect(r.query).toMatch(/FORMAT JSON$/);
    }
    expect(s.totals).toEqual({
      requests: 120,
      status: { '2xx': 100, '3xx': 0, '4xx': 15, '5xx': 5, other: 0 },
      error_rate: 0.042,
      latency_ms: { avg: 80.3, p50: 60, p95: 300, p99: 900 },
      governor_wait_ms: { avg: 1.5, max: 40 },
      upstream: { requests: 110, attempts: 118, throttled: 2, failed: 5 },
    });
    expect(s.surfaces.storefront.requests).toBe(100);
    expect(s.surfaces.agents.requests).toBe(20);
    expect(s.surfaces.webhooks.requests).toBe(0);
    expect(s.routes.map((r) => [r.surface, r.method, r.route, r.requests])).toEqual([
      ['storefront', 'POST', '/v1/payment-sessions', 100],
      ['agents', 'POST', '/agent/v1/payments', 20],
    ]);
    expect(s.agents).toEqual([expect.objectContaining({ agent_id: 'agt_a', requests: 20 })]);
  });

  it('reads an empty window: zero counts, null averages and quantiles (NaN in JSON), no groups', async () => {
    const api = fakeSqlApi(ACCOUNT, {
      totals: {
        requests: 0,
        s2xx: 0,
        s3xx: 0,
        s4xx: 0,
        s5xx: 0,
        latency_avg: null,
        p50: null,
        p95: null,
        p99: null,
        wait_avg: null,
        wait_max: 0,
        upstream_requests: 0,
        upstream_attempts: 0,
        throttled: 0,
        upstream_failed: 0,
      },
      surfaces: [],
      routes: [],
      agents: [],
    });
    const s = await metricsSummary(configured, '1h', { fetch: api.fetch });
    expect(s.source).toBe('analytics_engine');
    expect(s.totals).toMatchObject({
      requests: 0,
      error_rate: null,
      latency_ms: { avg: null, p50: null, p95: null, p99: null },
      governor_wait_ms: { avg: null, max: null },
    });
    expect(s.routes).toEqual([]);
    expect(s.agents).toEqual([]);
  });

  it('falls back to the isolate when the API refuses, naming the status only (never the token or the answer)', async () => {
    const api = fakeSqlApi(ACCOUNT, DATA, { failWith: 422 });
    const s = await metricsSummary(configured, '1h', { fetch: api.fetch });
    expect(s).toMatchObject({
      source: 'isolate',
      analytics_engine_error: 'the Analytics Engine SQL API answered 422',
    });
    expect(JSON.stringify(s)).not.toContain(TOKEN);
    expect(JSON.stringify(s)).not.toContain('query failed');
  });

  it('builds queries from documented functions only, weighted by _sample_interval', () => {
    const q = summaryQueries('bollard_requests', 60 * 60 * 1000);
    expect(Object.keys(q)).toEqual(['totals', 'surfaces', 'routes', 'agents']);
    expect(q.routes).toContain('ORDER BY requests DESC LIMIT 25');
    expect(q.agents).toContain("AND blob4 != ''");
    for (const sql of Object.values(q)) {
      expect(sql).toContain('SUM(_sample_interval) AS requests');
      expect(sql).toContain('SUM(_sample_interval * double3) / SUM(_sample_interval) AS latency_avg');
      expect(sql).toContain('quantileExactWeighted(0.95)(double3, _sample_interval) AS p95');
      expect(sql).toContain('SUM(if(double1 >= 500 AND double1 < 600, _sample_interval, 0)) AS s5xx');
      // Only the functions the Analytics Engine SQL reference lists (aggregate and conditional).
      const calls = [...sql.matchAll(/([A-Za-z_]+)\(/g)].map((m) => m[1]);
      expect(new Set(calls)).toEqual(new Set(['SUM', 'if', 'quantileExactWeighted', 'MAX', 'NOW']));
    }
  });
});
