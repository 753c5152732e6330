import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

/** Latency and throughput of one measured load. Times are milliseconds. */
export interface Measurement {
  count: number;
  errors: number;
  durationMs: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface MeasureOptions {
  concurrency: number;
  /** Stop after this long... */
  durationMs?: number;
  /** ...or after this many calls (whichever is given; both: whichever comes first). */
  requests?: number;
  /** Calls made (and discarded) before measuring, to warm isolates and caches. */
  warmup?: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

/**
 * Runs `fn` from `concurrency` closed-loop workers and reports latency percentiles and throughput. `fn`
 * resolves true for a success and false (or throws) for an error.
 */
export async function measure(fn: () => Promise<boolean>, options: MeasureOptions): Promise<Measurement> {
  for (let i = 0; i < (options.warmup ?? 0); i++) await fn().catch(() => false);
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const start = performance.now();
  const until = options.durationMs === undefined ? Number.POSITIVE_INFINITY : start + options.durationMs;
  const limit = options.requests ?? Number.POSITIVE_INFINITY;
  const worker = async () => {
    while (performance.now() < until && started < limit) {
      started++;
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await fn();
      } catch {
        ok = false;
      }
      latencies.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const durationMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    errors,
    durationMs: round(durationMs),
    rps: round((latencies.length / durationMs) * 1000),
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? Number.NaN),
  };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: ReadonlyArray<Record<string, string | number>>): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0] as object);
  const cell = (v: unknown) => (typeof v === 'number' ? String(round(v)) : String(v));
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(headers.map((h) => cell(r[h]))));
}

const RESULTS = resolve(import.meta.dirname, 'results');

/**
 * Writes `bench/results/<name>.json` with the run's data and when/where it ran, including the machine's
 * load average as the run ended (1, 5, 15 min): a shared machine's neighbours show up there.
 */
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  const machine = { cpus: cpus().length, load_avg: loadavg().map((l) => round(l)) };
  const record = { name, ran_at: new Date().toISOString(), node: process.version, machine, data };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}
