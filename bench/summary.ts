import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HotPathSummary } from './hot-path';
import { printTable, writeResult } from './lib';

/**
 * The last step of `npm run bench`: one table of the hot paths (direct vs via Bollard, Durable Object
 * round trips per call, targets), from the results the benches wrote, plus cold start, bundle size and
 * the dev proxy's own cost; written to `bench/results/summary.json`. A result not written by this run is
 * still shown, marked with the time it was measured.
 */
const RESULTS = resolve(import.meta.dirname, 'results');

/** The benches whose results the summary reads. */
export const SUMMARY_SOURCES = ['storefront', 'agents', 'webhooks', 'coldstart', 'devproxy'] as const;
type Source = (typeof SUMMARY_SOURCES)[number];

interface Stored<T> {
  ran_at: string;
  machine?: { cpus: number; load_avg: number[] };
  data: T;
}

interface HotPathData {
  summary: HotPathSummary[];
}

interface StorefrontData extends HotPathData {
  sizes: Array<{ artifact: string; 'minified KiB': number; 'gzip KiB': number }>;
}

interface ColdStartData {
  reps: number;
  rows: Array<Record<string, string | number>>;
  summary: { first_request_ratio: number; first_webhook_ratio: number; ready_ratio: number };
}

function load<T>(name: Source): Stored<T> | null {
  const file = join(RESULTS, `${name}.json`);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as Stored<T>;
}

/** When, and the 1-minute load average as the bench ended (above the core count: busy neighbours). */
function when(stored: Stored<unknown>, since: Date): string {
  const at = new Date(stored.ran_at) >= since ? 'this run' : `earlier (${stored.ran_at.slice(0, 16)})`;
  const load = stored.machine?.load_avg[0];
  return load === undefined ? at : `${at}, load ${load}/${stored.machine?.cpus}`;
}

export function summarize(since: Date): void {
  const storefront = load<StorefrontData>('storefront');
  const agents = load<HotPathData>('agents');
  const webhooks = load<HotPathData>('webhooks');
  const cold = load<ColdStartData>('coldstart');
  const devproxy = load<HotPathData>('devproxy');

  const hotPaths = [storefront, agents, webhooks].flatMap((stored) =>
    stored === null ? [] : stored.data.summary.map((row) => ({ ...row, measured: when(stored, since) })),
  );
  const coldRow = (worker: string, kind: string) =>
    cold?.data.rows.find((r) => r.worker === worker && String(r['first request']).startsWith(kind));
  const worker = storefront?.data.sizes.find((s) => s.artifact.startsWith('Bollard'));
  const other = [
    ...(cold === null
      ? []
      : [
          {
            measurement: 'cold start, first GET (fresh workerd), median ms',
            bollard: coldRow('bollard', 'GET')?.['first request ms'] ?? '?',
            baseline: `bare Hono ${coldRow('bare', 'GET')?.['first request ms'] ?? '?'}`,
            ratio: cold.data.summary.first_request_ratio,
            measured: when(cold, since),
          },
          {
            measurement: 'cold start, first webhook delivery, median ms',
            bollard: coldRow('bollard', 'POST')?.['first request ms'] ?? '?',
            baseline: `bare Hono ${coldRow('bare', 'POST')?.['first request ms'] ?? '?'}`,
            ratio: cold.data.summary.first_webhook_ratio,
            measured: when(cold, since),
          },
          {
            measurement: 'cold start, workerd ready (start + compile), median ms',
            bollard: coldRow('bollard', 'GET')?.['ready ms'] ?? '?',
            baseline: `bare Hono ${coldRow('bare', 'GET')?.['ready ms'] ?? '?'}`,
            ratio: cold.data.summary.ready_ratio,
            measured: when(cold, since),
          },
        ]),
    ...(worker === undefined || storefront === null
      ? []
      : [
          {
            measurement: 'Worker main module, minified + gzip (KiB)',
            bollard: `${worker['gzip KiB']} (${worker['minified KiB']} minified)`,
            baseline: '-',
            ratio: '-',
            measured: when(storefront, since),
          },
        ]),
    ...(devproxy?.data.summary ?? []).map((s) => ({
      measurement: `wrangler dev proxy, simulator read, concurrency ${s.concurrency}: p50 ms`,
      bollard: `${s.via_p50} via wrangler dev`,
      baseline: `${s.direct_p50} via Miniflare socket`,
      ratio: `p50 ${s.p50_ratio}x, rps ${s.rps_ratio}x`,
      measured: devproxy === null ? '?' : when(devproxy, since),
    })),
  ];

  const table = hotPaths.map((s) => ({
    surface: s.surface,
    conc: s.concurrency,
    'p50 direct': s.direct_p50,
    'p50 via': s.via_p50,
    'p99 direct': s.direct_p99,
    'p99 via': s.via_p99,
    'p50 ratio': s.p50_ratio,
    'added p50': s.added_p50,
    'rps ratio': s.rps_ratio,
    'floor p50 ratio': s.floor_p50_ratio ?? '-',
    'DO trips/call': s.do_trips_per_call,
    'DO detail/call': s.do_detail || '-',
    'DO bg/call': s.do_background_per_call,
    // Rows written before CPU was measured have no such fields.
    'CPU ms/req direct': s.direct_cpu_ms ?? '-',
    'CPU ms/req via': s.via_cpu_ms ?? '-',
    'CPU ms/req floor': s.floor_cpu_ms ?? '-',
    'CPU via-floor': s.via_minus_floor_cpu_ms ?? '-',
    'CPU via-direct': s.via_minus_direct_cpu_ms ?? '-',
    errors: s.errors,
    target: s.target,
    result: s.pass === null ? '-' : s.pass ? 'pass' : 'MISS',
    measured: s.measured,
  }));
  const file = writeResult('summary', {
    hot_paths: hotPaths,
    other,
    sources: Object.fromEntries(
      SUMMARY_SOURCES.map((name) => [name, load<unknown>(name)?.ran_at ?? null] as const),
    ),
  });
  console.log(`\n=== summary ===\nwrote ${file}`);
  if (other.length > 0) printTable('Cold start, bundle size, dev proxy', other);
  printTable(
    "Hot paths: direct vs via Bollard, same topology (ms; medians of interleaved rounds; DO = Durable Object round trips awaited per call, bg = still in flight at the answer; CPU = ms charged to workerd per request in each side's window)",
    table,
  );
}
