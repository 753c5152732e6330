import { BollardError } from '../http/errors';
import {
  type AggregateSummary,
  isolateAggregate,
  MAX_ISOLATE_WINDOW_MS,
  type RollingAggregate,
} from './aggregate';
import { sqlApiConfig, summaryFromSqlApi } from './sql-api';

/** Analytics Engine keeps data points for three months. */
const MAX_SQL_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export interface MetricsSummary extends AggregateSummary {
  window: string;
  from: string;
  to: string;
  /** `analytics_engine`: every isolate, from the SQL API; `isolate`: only the isolate that answered. */
  source: 'analytics_engine' | 'isolate';
  approximate: boolean;
  note: string;
  /** Why the SQL API was not used although configured (the isolate's numbers are shown instead). */
  analytics_engine_error?: string;
}

/** `5m`, `1h`, `7d` → milliseconds; anything else is a 422 naming `window`. */
export function parseWindow(raw: string | undefined, maxMs: number): { text: string; ms: number } {
  const text = raw ?? '1h';
  const m = /^(\d{1,4})([mhd])$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : 0;
  if (!m || ms < 60_000 || ms > maxMs) {
    throw new BollardError('request_invalid', {
      codes: ['window_invalid'],
      message: `window must be minutes, hours or days (5m, 1h, 1d), from 1m to ${maxMs / UNIT_MS.h} h here`,
    });
  }
  return { text, ms };
}

export interface SummaryOptions {
  aggregate?: RollingAggregate;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * `GET /admin/metrics?window=` — from the Analytics Engine SQL API when `CLOUDFLARE_ACCOUNT_ID` and
 * `CF_API_TOKEN` are set (all isolates, up to 90 days), else from this isolate's rolling aggregate (up to
 * 6 hours, approximate: one isolate of many, percentiles by latency bucket).
 */
export async function metricsSummary(
  env: Env,
  rawWindow: string | undefined,
  options: SummaryOptions = {},
): Promise<MetricsSummary> {
  const now = (options.now ?? Date.now)();
  const cfg = sqlApiConfig(env);
  const window = parseWindow(rawWindow, cfg ? MAX_SQL_WINDOW_MS : MAX_ISOLATE_WINDOW_MS);
  const span = {
    window: window.text,
    from: new Date(now - window.ms).toISOString(),
    to: new Date(now).toISOString(),
  };
  let error: string | undefined;
  if (cfg) {
    try {
      const summary = await summaryFromSqlApi(cfg, window.ms, options.fetch);
      return {
        ...span,
        source: 'analytics_engine',
        approximate: false,
        note: 'every isolate, from the Analytics Engine SQL API (sampled rows weighted by _sample_interval); data points arrive within about a minute',
        ...summary,
      };
    } catch (err) {
      error = err instanceof Error ? err.message : 'the Analytics Engine SQL API failed';
    }
  }
  if (window.ms > MAX_ISOLATE_WINDOW_MS) {
    throw new BollardError('upstream_unavailable', {
      codes: ['metrics_unavailable'],
      message: `the Analytics Engine SQL API failed (${error ?? 'unknown'}); this isolate keeps 6 h at most`,
    });
  }
  return {
    ...span,
    source: 'isolate',
    approximate: true,
    note: 'this isolate only (a deployment runs many), percentiles by latency bucket; set CLOUDFLARE_ACCOUNT_ID and CF_API_TOKEN for every isolate',
    ...(error ? { analytics_engine_error: error } : {}),
    ...(options.aggregate ?? isolateAggregate).summary(window.ms, now),
  };
}
