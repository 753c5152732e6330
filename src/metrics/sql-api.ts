import { withTimeout } from '../http/timeout';
import type { AgentStats, AggregateSummary, RouteStats, Stats } from './aggregate';
import { type MetricsSurface, SURFACES } from './surface';

/**
 * The summary from the Analytics Engine SQL API — every isolate's data points, sampled by Cloudflare and
 * weighted back by `_sample_interval` — when the Worker is given an account id and an API token with
 * "Account Analytics: Read" (docs/operations.md, "Metrics"). The same queries work from a terminal.
 */

export const DEFAULT_DATASET = 'bollard_requests';
const QUERY_TIMEOUT_MS = 5_000;

export interface SqlApiConfig {
  accountId: string;
  token: string;
  dataset: string;
}

/**
 * The SQL API settings when all are present and well-formed (they go into a URL and a query); absent, the
 * summary comes from the isolate.
 */
export function sqlApiConfig(env: Env): SqlApiConfig | null {
  const accountId = env.CLOUDFLARE_ACCOUNT_ID?.trim() ?? '';
  const token = env.CF_API_TOKEN?.trim() ?? '';
  // wrangler.toml declares it (so it is typed as set); an environment that leaves it out gets the default.
  const dataset = env.METRICS_DATASET?.trim() || DEFAULT_DATASET;
  if (!/^[0-9a-f]{32}$/.test(accountId) || token === '' || !/^[A-Za-z0-9_]{1,64}$/.test(dataset)) return null;
  return { accountId, token, dataset };
}

/** The per-group statistics, weighted by `_sample_interval` (data-point.ts has the column layout). */
const STATS = `
  SUM(_sample_interval) AS requests,
  SUM(if(double1 >= 200 AND double1 < 300, _sample_interval, 0)) AS s2xx,
  SUM(if(double1 >= 300 AND double1 < 400, _sample_interval, 0)) AS s3xx,
  SUM(if(double1 >= 400 AND double1 < 500, _sample_interval, 0)) AS s4xx,
  SUM(if(double1 >= 500 AND double1 < 600, _sample_interval, 0)) AS s5xx,
  SUM(_sample_interval * double3) / SUM(_sample_interval) AS latency_avg,
  quantileExactWeighted(0.5)(double3, _sample_interval) AS p50,
  quantileExactWeighted(0.95)(double3, _sample_interval) AS p95,
  quantileExactWeighted(0.99)(double3, _sample_interval) AS p99,
  SUM(_sample_interval * double4) / SUM(_sample_interval) AS wait_avg,
  MAX(double4) AS wait_max,
  SUM(if(double5 > 0, _sample_interval, 0)) AS upstream_requests,
  SUM(_sample_interval * double5) AS upstream_attempts,
  SUM(if(double2 = 429, _sample_interval, 0)) AS throttled,
  SUM(if(double2 >= 500 OR double2 < 0, _sample_interval, 0)) AS upstream_failed`;

/** The four queries behind one summary: totals, per surface, the busiest routes and agents. */
export function summaryQueries(dataset: string, windowMs: number, top = 25): Record<string, string> {
  const minutes = Math.max(1, Math.ceil(windowMs / 60_000));
  const where = `WHERE timestamp > NOW() - INTERVAL '${minutes}' MINUTE`;
  return {
    totals: `SELECT ${STATS} FROM ${dataset} ${where} FORMAT JSON`,
    surfaces: `SELECT blob1 AS surface, ${STATS} FROM ${dataset} ${where} GROUP BY surface FORMAT JSON`,
    routes: `SELECT blob1 AS surface, blob3 AS method, blob2 AS route, ${STATS} FROM ${dataset} ${where}
      GROUP BY surface, method, route ORDER BY requests DESC LIMIT ${top} FORMAT JSON`,
    agents: `SELECT blob4 AS agent_id, ${STATS} FROM ${dataset} ${where} AND blob4 != ''
      GROUP BY agent_id ORDER BY requests DESC LIMIT ${top} FORMAT JSON`,
  };
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
};
const maybe = (v: unknown, requests: number): number | null =>
  requests === 0 || v === null || v === undefined || !Number.isFinite(Number(v))
    ? null
    : Math.round(Number(v) * 10) / 10;

export function statsFromRow(r: Row | undefined): Stats {
  const n = num(r?.requests);
  const s5 = num(r?.s5xx);
  const s2 = num(r?.s2xx);
  const s3 = num(r?.s3xx);
  const s4 = num(r?.s4xx);
  return {
    requests: n,
    status: { '2xx': s2, '3xx': s3, '4xx': s4, '5xx': s5, other: Math.max(0, n - s2 - s3 - s4 - s5) },
    error_rate: n === 0 ? null : Math.round((s5 / n) * 1000) / 1000,
    latency_ms: {
      avg: maybe(r?.latency_avg, n),
      p50: maybe(r?.p50, n),
      p95: maybe(r?.p95, n),
      p99: maybe(r?.p99, n),
    },
    governor_wait_ms: { avg: maybe(r?.wait_avg, n), max: maybe(r?.wait_max, n) },
    upstream: {
      requests: num(r?.upstream_requests),
      attempts: num(r?.upstream_attempts),
      throttled: num(r?.throttled),
      failed: num(r?.upstream_failed),
    },
  };
}

async function query(cfg: SqlApiConfig, sql: string, fetchFn: typeof fetch): Promise<Row[]> {
  const res = await withTimeout(
    fetchFn(`https://api.cloudflare.com/client/v4/accounts/${cfg.accountId}/analytics_engine/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cfg.token}`, 'content-type': 'text/plain' },
      body: sql,
    }),
    QUERY_TIMEOUT_MS,
    () => new Error('the Analytics Engine SQL API did not answer in time'),
  );
  // The status only: an error body could echo the query or the account.
  if (!res.ok) throw new Error(`the Analytics Engine SQL API answered ${res.status}`);
  const body = (await res.json()) as { data?: unknown };
  if (!Array.isArray(body.data)) throw new Error('the Analytics Engine SQL API answered without data');
  return body.data as Row[];
}

/** The summary for the last `windowMs` from the SQL API; throws when the API cannot answer. */
export async function summaryFromSqlApi(
  cfg: SqlApiConfig,
  windowMs: number,
  fetchFn: typeof fetch = fetch,
): Promise<AggregateSummary> {
  const q = summaryQueries(cfg.dataset, windowMs);
  const [totals, surfaces, routes, agents] = await Promise.all([
    query(cfg, q.totals ?? '', fetchFn),
    query(cfg, q.surfaces ?? '', fetchFn),
    query(cfg, q.routes ?? '', fetchFn),
    query(cfg, q.agents ?? '', fetchFn),
  ]);
  const bySurface = new Map(surfaces.map((r) => [String(r.surface), r]));
  return {
    totals: statsFromRow(totals[0]),
    surfaces: Object.fromEntries(SURFACES.map((s) => [s, statsFromRow(bySurface.get(s))])) as Record<
      MetricsSurface,
      Stats
    >,
    routes: routes.map(
      (r): RouteStats => ({
        surface: (SURFACES as readonly string[]).includes(String(r.surface))
          ? (String(r.surface) as MetricsSurface)
          : 'other',
        method: String(r.method ?? ''),
        route: String(r.route ?? ''),
        ...statsFromRow(r),
      }),
    ),
    agents: agents.map((r): AgentStats => ({ agent_id: String(r.agent_id ?? ''), ...statsFromRow(r) })),
  };
}
