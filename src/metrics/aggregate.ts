import type { RequestMetric } from './data-point';
import { type MetricsSurface, SURFACES } from './surface';

/**
 * This isolate's requests per minute, for `GET /admin/metrics` when the Analytics Engine SQL API is not
 * configured. Approximate by nature: a deployment runs many isolates and this is only the one that
 * answers (under `wrangler dev`, everything), and percentiles come from fixed latency buckets.
 */

const MINUTE_MS = 60_000;
/** The longest window the isolate keeps (an isolate rarely lives longer; the SQL API covers more). */
export const MAX_ISOLATE_WINDOW_MS = 6 * 60 * MINUTE_MS;
/** Distinct (surface, method, route, agent) rows per minute; more are counted under one `other` row. */
const MAX_KEYS_PER_MINUTE = 64;
/** Upper bounds (ms) of the latency histogram; a percentile is reported as its bucket's bound. */
const LATENCY_BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000];

interface Counts {
  requests: number;
  status: [number, number, number, number, number]; // 1xx+other, 2xx, 3xx, 4xx, 5xx
  latencySum: number;
  latency: number[]; // histogram, LATENCY_BOUNDS.length + 1 buckets
  waitSum: number;
  waitMax: number;
  withUpstream: number;
  attempts: number;
  throttled: number;
  upstreamFailed: number;
}

interface Row {
  surface: MetricsSurface;
  method: string;
  route: string;
  agentId: string;
  counts: Counts;
}

const fresh = (): Counts => ({
  requests: 0,
  status: [0, 0, 0, 0, 0],
  latencySum: 0,
  latency: new Array<number>(LATENCY_BOUNDS.length + 1).fill(0),
  waitSum: 0,
  waitMax: 0,
  withUpstream: 0,
  attempts: 0,
  throttled: 0,
  upstreamFailed: 0,
});

function add(into: Counts, m: RequestMetric): void {
  into.requests++;
  const cls = Math.floor(m.status / 100);
  into.status[cls >= 2 && cls <= 5 ? cls - 1 : 0]++;
  into.latencySum += m.latencyMs;
  let b = LATENCY_BOUNDS.findIndex((bound) => m.latencyMs <= bound);
  if (b < 0) b = LATENCY_BOUNDS.length;
  into.latency[b] = (into.latency[b] ?? 0) + 1;
  into.waitSum += m.governorWaitMs;
  into.waitMax = Math.max(into.waitMax, m.governorWaitMs);
  if (m.upstreamAttempts > 0) into.withUpstream++;
  into.attempts += m.upstreamAttempts;
  if (m.upstreamStatus === 429) into.throttled++;
  if (m.upstreamStatus >= 500 || m.upstreamStatus < 0) into.upstreamFailed++;
}

function merge(into: Counts, from: Counts): void {
  into.requests += from.requests;
  for (let i = 0; i < into.status.length; i++) into.status[i] = (into.status[i] ?? 0) + (from.status[i] ?? 0);
  into.latencySum += from.latencySum;
  for (let i = 0; i < into.latency.length; i++)
    into.latency[i] = (into.latency[i] ?? 0) + (from.latency[i] ?? 0);
  into.waitSum += from.waitSum;
  into.waitMax = Math.max(into.waitMax, from.waitMax);
  into.withUpstream += from.withUpstream;
  into.attempts += from.attempts;
  into.throttled += from.throttled;
  into.upstreamFailed += from.upstreamFailed;
}

/** The summary shape, whichever source it comes from. */
export interface Stats {
  requests: number;
  status: { '2xx': number; '3xx': number; '4xx': number; '5xx': number; other: number };
  /** 5xx answers over requests; null with none. */
  error_rate: number | null;
  latency_ms: { avg: number | null; p50: number | null; p95: number | null; p99: number | null };
  governor_wait_ms: { avg: number | null; max: number | null };
  upstream: {
    /** Requests that called Checkout.com at least once. */
    requests: number;
    attempts: number;
    /** Requests whose last upstream answer was a 429. */
    throttled: number;
    /** Requests whose last upstream attempt got a 5xx or no answer. */
    failed: number;
  };
}

function percentile(hist: readonly number[], total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] ?? 0;
    if (seen >= rank) return LATENCY_BOUNDS[i] ?? Number.POSITIVE_INFINITY;
  }
  return null;
}

const round = (n: number): number => Math.round(n * 10) / 10;

export function statsOf(c: Counts): Stats {
  const n = c.requests;
  return {
    requests: n,
    status: {
      '2xx': c.status[1],
      '3xx': c.status[2],
      '4xx': c.status[3],
      '5xx': c.status[4],
      other: c.status[0],
    },
    error_rate: n === 0 ? null : round((c.status[4] / n) * 1000) / 1000,
    latency_ms: {
      avg: n === 0 ? null : round(c.latencySum / n),
      p50: percentile(c.latency, n, 0.5),
      p95: percentile(c.latency, n, 0.95),
      p99: percentile(c.latency, n, 0.99),
    },
    governor_wait_ms: { avg: n === 0 ? null : round(c.waitSum / n), max: n === 0 ? null : c.waitMax },
    upstream: {
      requests: c.withUpstream,
      attempts: c.attempts,
      throttled: c.throttled,
      failed: c.upstreamFailed,
    },
  };
}

export interface RouteStats extends Stats {
  surface: MetricsSurface;
  method: string;
  route: string;
}

export interface AgentStats extends Stats {
  agent_id: string;
}

export interface AggregateSummary {
  totals: Stats;
  surfaces: Record<MetricsSurface, Stats>;
  /** The busiest routes, most requests first. */
  routes: RouteStats[];
  /** The busiest agents, most requests first. */
  agents: AgentStats[];
}

/** Per-minute rows of one isolate, kept for MAX_ISOLATE_WINDOW_MS. */
export class RollingAggregate {
  readonly #minutes = new Map<number, Map<string, Row>>();

  add(metric: RequestMetric, now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    let rows = this.#minutes.get(minute);
    if (!rows) {
      rows = new Map();
      this.#minutes.set(minute, rows);
      const oldest = minute - MAX_ISOLATE_WINDOW_MS / MINUTE_MS;
      for (const key of this.#minutes.keys()) if (key <= oldest) this.#minutes.delete(key);
    }
    let key = `${metric.surface} ${metric.method} ${metric.route} ${metric.agentId}`;
    let row = rows.get(key);
    if (!row && rows.size >= MAX_KEYS_PER_MINUTE) {
      key = 'overflow';
      row = rows.get(key);
      row ??= { surface: 'other', method: 'OTHER', route: 'other', agentId: '', counts: fresh() };
      rows.set(key, row);
    }
    if (!row) {
      row = {
        surface: metric.surface,
        method: metric.method,
        route: metric.route,
        agentId: metric.agentId,
        counts: fresh(),
      };
      rows.set(key, row);
    }
    add(row.counts, metric);
  }

  /** Everything from the last `windowMs` (whole minutes, the current one included). */
  summary(windowMs: number, now: number, top = 25): AggregateSummary {
    const last = Math.floor(now / MINUTE_MS);
    const first = last - Math.ceil(Math.min(windowMs, MAX_ISOLATE_WINDOW_MS) / MINUTE_MS) + 1;
    const totals = fresh();
    const surfaces = new Map<MetricsSurface, Counts>(SURFACES.map((s) => [s, fresh()]));
    const routes = new Map<
      string,
      { surface: MetricsSurface; method: string; route: string; counts: Counts }
    >();
    const agents = new Map<string, Counts>();
    for (const [minute, rows] of this.#minutes) {
      if (minute < first || minute > last) continue;
      for (const row of rows.values()) {
        merge(totals, row.counts);
        const s = surfaces.get(row.surface);
        if (s) merge(s, row.counts);
        const rk = `${row.surface} ${row.method} ${row.route}`;
        let r = routes.get(rk);
        if (!r) {
          r = { surface: row.surface, method: row.method, route: row.route, counts: fresh() };
          routes.set(rk, r);
        }
        merge(r.counts, row.counts);
        if (row.agentId) {
          let a = agents.get(row.agentId);
          if (!a) {
            a = fresh();
            agents.set(row.agentId, a);
          }
          merge(a, row.counts);
        }
      }
    }
    return {
      totals: statsOf(totals),
      surfaces: Object.fromEntries([...surfaces].map(([s, c]) => [s, statsOf(c)])) as Record<
        MetricsSurface,
        Stats
      >,
      routes: [...routes.values()]
        .sort((a, b) => b.counts.requests - a.counts.requests)
        .slice(0, top)
        .map((r) => ({ surface: r.surface, method: r.method, route: r.route, ...statsOf(r.counts) })),
      agents: [...agents]
        .sort((a, b) => b[1].requests - a[1].requests)
        .slice(0, top)
        .map(([agent_id, c]) => ({ agent_id, ...statsOf(c) })),
    };
  }
}

/** The isolate's aggregate, fed by the metrics middleware. */
export const isolateAggregate = new RollingAggregate();
