import type { CpuMeter } from './cpu';
import { type Measurement, measure, printTable, round } from './lib';

/**
 * One hot path measured direct vs via Bollard in the same topology (scripts/bench-topology.ts), at each
 * concurrency, in interleaved rounds (the sides' order rotates each round, so drift on a shared machine
 * hits every side alike). Each round ends with a shorter pass on the metered
 * Bollard entry (`DO_METER=on`), whose `X-Bollard-DO-Calls` headers give the Durable Object round trips
 * per call; the timed Bollard side is unmetered.
 */
export interface HotPathSpec {
  surface: string;
  /** The baseline call (the simulator, or a bare Worker), resolving true on success. */
  direct: () => Promise<boolean>;
  /** The same through Bollard at `base`; the harness reads the body. */
  via: (base: string) => Promise<Response>;
  /** Bollard's success status. */
  status: number;
  /**
   * The same call through a Worker that only forwards it (bench/bare-worker `/forward/*`): the floor of
   * any gateway in this topology, so Bollard's own cost reads as via vs floor.
   */
  floor?: () => Promise<boolean>;
  target: { p50Ratio?: number; rpsRatio?: number };
}

export interface HotPathPlan {
  concurrency: readonly number[];
  rounds: number;
  /** Per side per round, by concurrency. */
  durationMs: (concurrency: number) => number;
  meteredMs: number;
  /** Per side, before the first round of each concurrency. */
  warmupMs: number;
}

/** Scale every duration with BENCH_SCALE (e.g. 0.2 for a smoke run); 1 by default. */
export function scaled(ms: number): number {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  return Math.max(200, Math.round(ms * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

export const DEFAULT_PLAN: HotPathPlan = {
  concurrency: [1, 32],
  // More, shorter rounds beat fewer long ones on a shared machine: drift lands on every side.
  rounds: 5,
  durationMs: (c) => scaled(c === 1 ? 2_000 : 2_500),
  meteredMs: scaled(1_000),
  warmupMs: scaled(1_000),
};

/** Durable Object round trips per call, from the metered pass (successful calls only). */
export interface DoTrips {
  calls: number;
  perCall: number;
  /** Per binding, per call. */
  detail: Record<string, number>;
  /** Trips still in flight when the answer left (`waitUntil`), per call: not waited on. */
  backgroundPerCall: number;
}

/** One row of the final summary (bench/summary.ts reads these back from the results file). */
export interface HotPathSummary {
  surface: string;
  concurrency: number;
  direct_p50: number;
  via_p50: number;
  direct_p99: number;
  via_p99: number;
  direct_rps: number;
  via_rps: number;
  p50_ratio: number;
  /** Median of the rounds' via p50 minus direct p50: what Bollard adds, in ms. */
  added_p50: number;
  rps_ratio: number;
  /** The pass-through Worker's p50, and its p50 and throughput against direct (null: not measured). */
  floor_p50: number | null;
  floor_p50_ratio: number | null;
  floor_rps_ratio: number | null;
  do_trips_per_call: number;
  do_detail: string;
  do_background_per_call: number;
  metered_p50: number;
  /**
   * CPU ms per request charged to the one workerd process (every Worker and object in it) over each
   * side's timed window, median of rounds; null without /proc. Via minus floor: what Bollard costs beyond
   * a Worker that only forwards; via minus direct: Bollard's whole cost, its objects included.
   */
  direct_cpu_ms: number | null;
  via_cpu_ms: number | null;
  floor_cpu_ms: number | null;
  via_minus_floor_cpu_ms: number | null;
  via_minus_direct_cpu_ms: number | null;
  errors: number;
  first_error: string | null;
  target: string;
  pass: boolean | null;
}

type Side = 'direct' | 'via' | 'floor';
type Round = Partial<Record<Side, Measurement>> & {
  metered: Measurement | null;
  /** CPU ms per request charged to workerd in each side's window. */
  cpu: Partial<Record<Side, number>>;
};

export interface HotPathResult {
  rows: Array<Record<string, string | number>>;
  summary: HotPathSummary[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function targetText(t: HotPathSpec['target']): string {
  const parts: string[] = [];
  if (t.p50Ratio !== undefined) parts.push(`p50 <= ${t.p50Ratio}x`);
  if (t.rpsRatio !== undefined) parts.push(`rps >= ${t.rpsRatio}x`);
  return parts.join(', ') || '-';
}

function passes(t: HotPathSpec['target'], p50Ratio: number, rpsRatio: number): boolean | null {
  if (t.p50Ratio === undefined && t.rpsRatio === undefined) return null;
  return (
    (t.p50Ratio === undefined || p50Ratio <= t.p50Ratio) &&
    (t.rpsRatio === undefined || rpsRatio >= t.rpsRatio)
  );
}

export async function runHotPath(
  spec: HotPathSpec,
  /** The timed via side, the metered Bollard entry (none: no Durable Object counts), workerd's CPU meter. */
  urls: { bollardUrl: string; meteredUrl?: string; cpu?: CpuMeter },
  plan: HotPathPlan = DEFAULT_PLAN,
): Promise<HotPathResult> {
  let firstError: string | null = null;
  const note = (what: string) => {
    firstError ??= what;
  };
  const guarded = (side: string, fn: () => Promise<boolean>) => async () => {
    try {
      const ok = await fn();
      if (!ok) note(`${side}: unexpected status`);
      return ok;
    } catch (err) {
      note(`${side}: ${String((err as Error).cause ?? err)}`);
      return false;
    }
  };
  const call = async (base: string) => {
    try {
      const res = await spec.via(base);
      const text = await res.text();
      if (res.status !== spec.status) note(`via: HTTP ${res.status} ${text.slice(0, 160)}`);
      return res.status === spec.status ? res : null;
    } catch (err) {
      note(`via: ${String((err as Error).cause ?? err)}`);
      return null;
    }
  };
  const floor = spec.floor;
  // The timed sides, rotated each round so none always runs first or last.
  const sides: Array<{ side: Side; fn: () => Promise<boolean> }> = [
    { side: 'direct', fn: guarded('direct', spec.direct) },
    { side: 'via', fn: async () => (await call(urls.bollardUrl)) !== null },
    ...(floor ? [{ side: 'floor' as const, fn: guarded('floor', floor) }] : []),
  ];

  const rows: Array<Record<string, string | number>> = [];
  const summary: HotPathSummary[] = [];
  for (const concurrency of plan.concurrency) {
    firstError = null;
    const trips = { ok: 0, total: 0, background: 0, detail: new Map<string, number>() };
    const meteredUrl = urls.meteredUrl;
    const metered = async () => {
      if (meteredUrl === undefined) return true;
      const res = await call(meteredUrl);
      if (res === null) return false;
      trips.ok++;
      trips.total += Number(res.headers.get('x-bollard-do-calls') ?? Number.NaN);
      trips.background += Number(res.headers.get('x-bollard-do-calls-background') ?? Number.NaN);
      for (const part of (res.headers.get('x-bollard-do-calls-detail') ?? '').split(',')) {
        const [binding, n] = part.split('=');
        if (binding && n) trips.detail.set(binding, (trips.detail.get(binding) ?? 0) + Number(n));
      }
      return true;
    };
    // Warm every side (isolates, objects, connection pools) before anything counts.
    const warm = { concurrency, durationMs: plan.warmupMs };
    for (const { fn } of sides) await measure(fn, warm);
    if (meteredUrl !== undefined) await measure(metered, warm);
    trips.ok = 0;
    trips.total = 0;
    trips.background = 0;
    trips.detail.clear();

    const opts = { concurrency, durationMs: plan.durationMs(concurrency) };
    const rounds: Round[] = [];
    for (let i = 0; i < plan.rounds; i++) {
      const r: Round = { metered: null, cpu: {} };
      for (let k = 0; k < sides.length; k++) {
        const { side, fn } = sides[(i + k) % sides.length] as (typeof sides)[number];
        const window = urls.cpu?.start();
        const m = await measure(fn, opts);
        const cpuMs = window?.stop() ?? null;
        r[side] = m;
        if (cpuMs !== null && m.count > 0) r.cpu[side] = cpuMs / m.count;
      }
      for (const { side } of sides)
        rows.push({
          concurrency,
          round: i + 1,
          side,
          ...r[side],
          'cpu ms/req': round(r.cpu[side] ?? Number.NaN, 3),
        });
      if (meteredUrl !== undefined) {
        r.metered = await measure(metered, { concurrency, durationMs: plan.meteredMs });
        rows.push({ concurrency, round: i + 1, side: 'via (metered)', ...r.metered });
      }
      rounds.push(r);
    }
    const of = (side: Side, pick: (m: Measurement) => number) =>
      round(median(rounds.map((r) => (r[side] ? pick(r[side]) : Number.NaN))));
    const ratio = (side: Side, pick: (m: Measurement) => number) =>
      round(median(rounds.map((r) => (r[side] && r.direct ? pick(r[side]) / pick(r.direct) : Number.NaN))));
    const p50Ratio = ratio('via', (m) => m.p50);
    const rpsRatio = ratio('via', (m) => m.rps);
    const perCall = (n: number) => (trips.ok === 0 ? Number.NaN : round(n / trips.ok, 3));
    // CPU per request: median of rounds per side, and of the per-round differences.
    const cpuOf = (pick: (r: Round) => number | undefined): number | null => {
      const xs = rounds.map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length === 0 ? null : round(median(xs), 3);
    };
    const diff = (a: Side, b: Side) => (r: Round) =>
      r.cpu[a] === undefined || r.cpu[b] === undefined
        ? undefined
        : (r.cpu[a] as number) - (r.cpu[b] as number);
    const errors = rounds.reduce(
      (n, r) => n + [r.direct, r.via, r.floor, r.metered].reduce((e, m) => e + (m?.errors ?? 0), 0),
      0,
    );
    summary.push({
      surface: spec.surface,
      concurrency,
      direct_p50: of('direct', (m) => m.p50),
      via_p50: of('via', (m) => m.p50),
      direct_p99: of('direct', (m) => m.p99),
      via_p99: of('via', (m) => m.p99),
      direct_rps: of('direct', (m) => m.rps),
      via_rps: of('via', (m) => m.rps),
      p50_ratio: p50Ratio,
      added_p50: round(
        median(rounds.map((r) => (r.via && r.direct ? r.via.p50 - r.direct.p50 : Number.NaN))),
      ),
      rps_ratio: rpsRatio,
      floor_p50: floor ? of('floor', (m) => m.p50) : null,
      floor_p50_ratio: floor ? ratio('floor', (m) => m.p50) : null,
      floor_rps_ratio: floor ? ratio('floor', (m) => m.rps) : null,
      do_trips_per_call: perCall(trips.total),
      do_detail: [...trips.detail.entries()].map(([b, n]) => `${b}=${perCall(n)}`).join(','),
      do_background_per_call: perCall(trips.background),
      metered_p50: round(median(rounds.map((r) => r.metered?.p50 ?? Number.NaN))),
      direct_cpu_ms: cpuOf((r) => r.cpu.direct),
      via_cpu_ms: cpuOf((r) => r.cpu.via),
      floor_cpu_ms: floor ? cpuOf((r) => r.cpu.floor) : null,
      via_minus_floor_cpu_ms: floor ? cpuOf(diff('via', 'floor')) : null,
      via_minus_direct_cpu_ms: cpuOf(diff('via', 'direct')),
      errors,
      first_error: firstError,
      target: targetText(spec.target),
      pass: passes(spec.target, p50Ratio, rpsRatio),
    });
  }
  return { rows, summary };
}

export function printHotPath(title: string, result: HotPathResult): void {
  printTable(`${title}: every measurement (ms, req/s)`, result.rows);
  printTable(
    `${title}: Bollard vs direct (median of rounds)`,
    result.summary.map((s) => ({
      concurrency: s.concurrency,
      'direct p50': s.direct_p50,
      'via p50': s.via_p50,
      'direct p99': s.direct_p99,
      'via p99': s.via_p99,
      'p50 ratio': s.p50_ratio,
      'added p50': s.added_p50,
      'rps ratio': s.rps_ratio,
      'floor p50': s.floor_p50 ?? '-',
      'floor p50 ratio': s.floor_p50_ratio ?? '-',
      'DO trips/call': s.do_trips_per_call,
      'DO detail (per call)': s.do_detail || '-',
      'background/call': s.do_background_per_call,
      'CPU ms/req direct': s.direct_cpu_ms ?? '-',
      'CPU ms/req via': s.via_cpu_ms ?? '-',
      'CPU ms/req floor': s.floor_cpu_ms ?? '-',
      'CPU via-floor': s.via_minus_floor_cpu_ms ?? '-',
      'CPU via-direct': s.via_minus_direct_cpu_ms ?? '-',
      errors: s.errors,
      target: s.target,
      result: s.pass === null ? '-' : s.pass ? 'pass' : 'MISS',
    })),
  );
  const err = result.summary.find((s) => s.first_error !== null);
  if (err) console.log(`first error: ${err.first_error}`);
}
