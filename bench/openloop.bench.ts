import { loadavg } from 'node:os';
import { startTopology, type Topology } from '../scripts/bench-topology';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { machineIdle } from './cpu';
import {
  BENCH_ORIGIN,
  createAgent,
  createSessionDirect,
  createSessionVia,
  seedPayment,
  storefrontSessionBody,
  upstreamSessionBody,
} from './fixtures';
import { scaled } from './hot-path';
import { percentile, printTable, round, writeResult } from './lib';

/**
 * The account-wide rate governor under traffic as a merchant's would arrive (issue 19, item 4): Poisson
 * arrivals at 50%, 80%, 95% and 120% of the account limit (`OPENLOOP_LIMIT`, default 40/s, low enough
 * that this machine is not the bottleneck), on both classes at once: storefront session creates (writes)
 * and agent gateway reads spread over 32 agents. The simulator answers after 40 ms (`latency_ms`) and
 * enforces the same limit; every upstream 429 shows in its counters. Direct blocks offer the same
 * arrivals straight to the simulator (its limit lifted meanwhile, so the baseline is the upstream's
 * latency alone), alternating with the via-Bollard blocks. One workerd, no dev proxy
 * (scripts/bench-topology.ts).
 *
 * Reported per load and class: p50, p99, p99.9 via and direct, refused calls (Bollard's 429 with
 * `Retry-After`) and how fast they were refused, upstream 429s, governor waits (this isolate's gate
 * counters, where the gate keeps them), the machine's idle CPU over the blocks (/proc/stat) and
 * workerd's own CPU.
 *
 * Before and after in one run: `OPENLOOP_BASELINE=<dir>/index.js` (a `wrangler deploy --dry-run --outdir
 * <dir>` bundle of another commit) runs that build beside this one, with objects of its own, and its
 * blocks rotate with the others (`OPENLOOP_BASELINE_VARS` = JSON vars its own wrangler.toml set
 * differently, e.g. `{"RATE_LIMIT_MAX_WAIT_MS":"2000"}`). See docs/benchmarks.md.
 */
const LIMIT = positive(process.env.OPENLOOP_LIMIT) ?? 40;
// OPENLOOP_LOADS=0.8,1.2 runs a subset (fractions of the limit).
const LOADS: readonly number[] = process.env.OPENLOOP_LOADS?.split(',')
  .map(Number)
  .filter((x) => x > 0) ?? [0.5, 0.8, 0.95, 1.2];
const PAIRS = positive(process.env.OPENLOOP_PAIRS) ?? 2;
const BLOCK_MS = scaled(positive(process.env.OPENLOOP_BLOCK_MS) ?? 8_000);
const AGENTS = 32;
const UPSTREAM_LATENCY_MS = 40;
const SIM_ADMIN = {
  authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}`,
  'content-type': 'application/json',
};
const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' };
const SECRET = `Bearer ${DEV_CREDENTIALS.secretKey}`;

function positive(raw: string | undefined): number | null {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

type Kind = 'read' | 'write';
/** `via`: this build; `before`: the baseline build (OPENLOOP_BASELINE); `direct`: the simulator. */
type Side = 'via' | 'before' | 'direct';
const BASELINE = process.env.OPENLOOP_BASELINE || undefined;
const BASELINE_VARS = JSON.parse(process.env.OPENLOOP_BASELINE_VARS || '{}') as Record<string, string>;

interface Outcome {
  kind: Kind;
  ms: number;
  /** 2xx */
  ok: boolean;
  /** Bollard's own refusal: 429 `too_many_requests`, `rate_limit_wait_exceeded`, before anything went upstream. */
  refused: boolean;
  /** A refusal carried Retry-After and the one error shape. */
  wellFormed: boolean;
  /** Any other 429: the upstream's, passed on (or, direct, the simulator's). */
  upstream429: boolean;
  error: string | null;
}

/** A small seeded generator: the via and direct blocks of a pair see the same arrivals. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson arrivals of both classes over `ms`, merged and sorted (offsets in ms). */
function arrivals(ratePerSecond: number, ms: number, seed: number): Array<{ at: number; kind: Kind }> {
  const out: Array<{ at: number; kind: Kind }> = [];
  for (const [i, kind] of (['read', 'write'] as const).entries()) {
    const random = mulberry32(seed * 2 + i);
    let t = 0;
    for (;;) {
      t += (-Math.log(1 - random()) * 1000) / ratePerSecond;
      if (t >= ms) break;
      out.push({ at: t, kind });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

async function simControl(simUrl: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${simUrl}${path}`, {
    method: 'POST',
    headers: SIM_ADMIN,
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function upstream429s(simUrl: string): Promise<{ responses429: number; read: number; write: number }> {
  const res = await fetch(`${simUrl}/_sim/stats`, { headers: SIM_ADMIN });
  const s = (await res.json()) as { responses_429: number; requests: { read: number; write: number } };
  return { responses429: s.responses_429, read: s.requests.read, write: s.requests.write };
}

/** This isolate's gate counters from `GET /admin/status` (fields absent on older gates stay undefined). */
async function gateStats(bollardUrl: string): Promise<Record<string, number>> {
  const res = await fetch(`${bollardUrl}/admin/status`, { headers: ADMIN });
  const body = await json(res);
  const find = (v: unknown): Record<string, number> | null => {
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    if (typeof o.this_isolate_gate === 'object' && o.this_isolate_gate !== null)
      return o.this_isolate_gate as Record<string, number>;
    for (const child of Object.values(o)) {
      const found = find(child);
      if (found) return found;
    }
    return null;
  };
  return find(body) ?? {};
}

type Calls = Partial<Record<Side, Record<Kind, () => Promise<Response>>>>;

/** A Bollard build's calls: agent reads over its agents' keys, and session creates. */
function viaCalls(
  base: string,
  paymentId: string,
  keys: readonly string[],
): Record<Kind, () => Promise<Response>> {
  const body = storefrontSessionBody('OPENLOOP');
  let next = 0;
  return {
    read: () =>
      fetch(`${base}/agent/v1/payments/${paymentId}`, {
        headers: { authorization: `Bearer ${keys[next++ % keys.length]}`, accept: 'application/json' },
      }),
    write: () => createSessionVia(base, body, '198.51.100.7'),
  };
}

function directCalls(topology: Topology, paymentId: string): Record<Kind, () => Promise<Response>> {
  const body = upstreamSessionBody('OPENLOOP');
  return {
    read: () =>
      fetch(`${topology.simUrl}/payments/${paymentId}`, {
        headers: { authorization: SECRET, accept: 'application/json' },
      }),
    write: () => createSessionDirect(topology.simUrl, body),
  };
}

async function timed(kind: Kind, call: () => Promise<Response>): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const res = await call();
    const text = await res.text();
    const ms = performance.now() - t0;
    const ok = res.status >= 200 && res.status < 300;
    let refused = false;
    let wellFormed = false;
    if (res.status === 429) {
      try {
        const body = JSON.parse(text) as {
          error_type?: unknown;
          error_codes?: unknown;
          request_id?: unknown;
        };
        refused =
          body.error_type === 'too_many_requests' &&
          Array.isArray(body.error_codes) &&
          body.error_codes.includes('rate_limit_wait_exceeded');
        wellFormed =
          refused && Number(res.headers.get('retry-after')) >= 1 && typeof body.request_id === 'string';
      } catch {
        refused = false;
      }
    }
    return {
      kind,
      ms,
      ok,
      refused,
      wellFormed,
      upstream429: res.status === 429 && !refused,
      error: ok || res.status === 429 ? null : `HTTP ${res.status} ${text.slice(0, 300)}`,
    };
  } catch (err) {
    return {
      kind,
      ms: performance.now() - t0,
      ok: false,
      refused: false,
      wellFormed: false,
      upstream429: false,
      error: String(err),
    };
  }
}

/** Offers the arrivals open loop (each call fired at its time, whatever the others are doing). */
async function offer(
  schedule: ReadonlyArray<{ at: number; kind: Kind }>,
  pick: Record<Kind, () => Promise<Response>>,
): Promise<Outcome[]> {
  const start = performance.now();
  const inflight: Promise<Outcome>[] = [];
  for (const a of schedule) {
    const wait = start + a.at - performance.now();
    if (wait > 0.5) await sleep(wait);
    inflight.push(timed(a.kind, pick[a.kind]));
  }
  return Promise.all(inflight);
}

interface BlockResult {
  side: Side;
  load: number;
  outcomes: Outcome[];
  idle: number | null;
  /** workerd's CPU over the block, as a share of one core. */
  workerdCpu: number | null;
  upstream429: number;
  gate: { waited?: number; waitedMs?: number; shed?: number; acquired?: number; leases?: number };
}

async function runBlock(
  topology: Topology,
  c: Calls,
  side: Side,
  load: number,
  seed: number,
): Promise<BlockResult> {
  // Direct: the simulator's limit lifted, so the baseline is its latency alone; via: the account limit.
  const simLimit = side === 'direct' ? 1_000_000 : LIMIT;
  await simControl(topology.simUrl, '/_sim/config', {
    reads_per_second: simLimit,
    writes_per_second: simLimit,
  });
  // A clean second between blocks: nothing of the previous block shares a window with this one.
  await sleep(1_100);
  const before = await upstream429s(topology.simUrl);
  const url = side === 'via' ? topology.bollardUrl : side === 'before' ? topology.baselineUrl : undefined;
  const gateBefore = url ? await gateStats(url) : {};
  const idle = machineIdle();
  const cpu = topology.cpu.start();
  const t0 = performance.now();
  const pick = c[side];
  if (!pick) throw new Error(`no calls for ${side}`);
  const outcomes = await offer(arrivals(LIMIT * load, BLOCK_MS, seed), pick);
  const cpuMs = cpu.stop();
  const elapsed = performance.now() - t0;
  const idleShare = idle.stop();
  const after = await upstream429s(topology.simUrl);
  const gateAfter = url ? await gateStats(url) : {};
  const delta = (k: string) =>
    gateAfter[k] === undefined || gateBefore[k] === undefined
      ? undefined
      : (gateAfter[k] as number) - (gateBefore[k] as number);
  const gate: BlockResult['gate'] = {};
  for (const k of ['waited', 'waitedMs', 'shed', 'acquired', 'leases'] as const) {
    const d = delta(k);
    if (d !== undefined) gate[k] = d;
  }
  return {
    side,
    load,
    outcomes,
    idle: idleShare,
    workerdCpu: cpuMs === null ? null : cpuMs / elapsed,
    upstream429: after.responses429 - before.responses429,
    gate,
  };
}

interface Row {
  load: string;
  class: string;
  /** `after`: this build; `before`: the baseline build. */
  build: string;
  offered: number;
  via_p50: number;
  via_p99: number;
  via_p999: number;
  direct_p50: number;
  direct_p99: number;
  direct_p999: number;
  p99_over_direct: number;
  refused: number;
  refused_pct: number;
  refusal_p99_ms: number | null;
  refusals_well_formed: boolean | null;
  errors: number;
  upstream_429: number;
  governor_waits: number | string;
  governor_wait_avg_ms: number | string;
  cpu_idle_pct: number | string;
  /** workerd's CPU, % of one core, in the via and in the direct blocks. */
  workerd_cpu_via_pct: number | string;
  workerd_cpu_direct_pct: number | string;
  /** 429s that were not Bollard's refusal (the upstream's, passed on) in the via blocks. */
  passed_on_429: number;
  load_avg_1m: number;
}

const q = (xs: number[], p: number) => round(percentile(xs, p));

function summarise(load: number, blocks: BlockResult[], loadAvg: number, side: 'via' | 'before'): Row[] {
  const via = blocks.filter((b) => b.side === side);
  const direct = blocks.filter((b) => b.side === 'direct');
  const idle = blocks.map((b) => b.idle).filter((x): x is number => x !== null);
  const share = (bs: BlockResult[]) => {
    const xs = bs.map((b) => b.workerdCpu).filter((x): x is number => x !== null);
    return xs.length === 0 ? '-' : round((100 * xs.reduce((a, b) => a + b, 0)) / xs.length, 1);
  };
  const waited = via.map((b) => b.gate.waited);
  const waitedMs = via.map((b) => b.gate.waitedMs);
  const sum = (xs: Array<number | undefined>) =>
    xs.every((x) => x !== undefined) ? xs.reduce<number>((a, b) => a + (b as number), 0) : undefined;
  const totalWaits = sum(waited);
  const totalWaitMs = sum(waitedMs);
  const upstream = via.reduce((n, b) => n + b.upstream429, 0);
  return (['read', 'write'] as const).map((kind) => {
    const v = via.flatMap((b) => b.outcomes.filter((o) => o.kind === kind));
    const d = direct.flatMap((b) => b.outcomes.filter((o) => o.kind === kind));
    const admitted = v
      .filter((o) => o.ok)
      .map((o) => o.ms)
      .sort((a, b) => a - b);
    const refusals = v.filter((o) => o.refused);
    const refusalMs = refusals.map((o) => o.ms).sort((a, b) => a - b);
    const base = d
      .filter((o) => o.ok)
      .map((o) => o.ms)
      .sort((a, b) => a - b);
    return {
      load: `${Math.round(load * 100)}%`,
      class: kind === 'read' ? 'agent read' : 'session create',
      build: side === 'via' ? 'after' : 'before',
      offered: round(LIMIT * load, 1),
      via_p50: q(admitted, 50),
      via_p99: q(admitted, 99),
      via_p999: q(admitted, 99.9),
      direct_p50: q(base, 50),
      direct_p99: q(base, 99),
      direct_p999: q(base, 99.9),
      p99_over_direct: round(percentile(admitted, 99) - percentile(base, 99)),
      refused: refusals.length,
      refused_pct: v.length === 0 ? 0 : round((100 * refusals.length) / v.length),
      refusal_p99_ms: refusalMs.length === 0 ? null : q(refusalMs, 99),
      refusals_well_formed: refusals.length === 0 ? null : refusals.every((o) => o.wellFormed),
      errors: v.filter((o) => o.error !== null).length + d.filter((o) => o.error !== null).length,
      upstream_429: upstream,
      governor_waits: totalWaits ?? '-',
      governor_wait_avg_ms:
        totalWaits === undefined || totalWaitMs === undefined || totalWaits === 0
          ? totalWaits === 0
            ? 0
            : '-'
          : round(totalWaitMs / totalWaits),
      cpu_idle_pct: idle.length === 0 ? '-' : round((100 * idle.reduce((a, b) => a + b, 0)) / idle.length, 1),
      workerd_cpu_via_pct: share(via),
      workerd_cpu_direct_pct: share(direct),
      passed_on_429: v.filter((o) => o.upstream429).length,
      load_avg_1m: loadAvg,
    };
  });
}

/** Did the row meet issue 19's targets (with 0 upstream 429s at every load)? */
function verdict(row: Row, load: number): string {
  const misses: string[] = [];
  if (row.upstream_429 > 0) misses.push('upstream 429s');
  if (load <= 0.8 && row.p99_over_direct > 25) misses.push('p99 > direct + 25 ms');
  if (load === 0.95) {
    if (row.refused_pct > 1) misses.push('> 1% refused');
    if (row.p99_over_direct > 250) misses.push('p99 > direct + 250 ms');
  }
  if (load > 1) {
    if (row.refused === 0) misses.push('nothing refused');
    if (row.refusal_p99_ms !== null && row.refusal_p99_ms > 100) misses.push('refusals slower than 100 ms');
    if (row.refusals_well_formed === false) misses.push('refusal without Retry-After');
    if (row.p99_over_direct > 250) misses.push('admitted p99 > direct + 250 ms');
  }
  return misses.length === 0 ? 'pass' : `MISS: ${misses.join('; ')}`;
}

export default async function run(): Promise<void> {
  const topology = await startTopology({
    vars: {
      RATE_LIMIT_READS_PER_SECOND: String(LIMIT),
      RATE_LIMIT_WRITES_PER_SECOND: String(LIMIT),
      STOREFRONT_ORDER_MODE: 'open',
      STOREFRONT_ORIGINS: BENCH_ORIGIN,
      // The storefront's per-client limit out of reach: this measures the account-wide governor.
      STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '100000000',
    },
    simVars: { SIM_READS_PER_SECOND: String(LIMIT), SIM_WRITES_PER_SECOND: String(LIMIT) },
    ...(BASELINE ? { baselineBundle: BASELINE, baselineVars: BASELINE_VARS } : {}),
  });
  try {
    const id = await seedPayment(topology.simUrl, 'openloop-bench');
    const agentsOf = async (base: string) => {
      const keys: string[] = [];
      for (let i = 0; i < AGENTS; i++) keys.push(await createAgent(base, `openloop ${i}`));
      return keys;
    };
    const c: Calls = {
      via: viaCalls(topology.bollardUrl, id, await agentsOf(topology.bollardUrl)),
      direct: directCalls(topology, id),
    };
    if (topology.baselineUrl)
      c.before = viaCalls(topology.baselineUrl, id, await agentsOf(topology.baselineUrl));
    const sides = Object.keys(c) as Side[];
    await simControl(topology.simUrl, '/_sim/faults', { latency_ms: UPSTREAM_LATENCY_MS });

    // Warm every side (isolates, the agents' objects, connection pools) at half load.
    for (const side of sides) await runBlock(topology, c, side, 0.5, 999);

    const rows: Row[] = [];
    const raw: Array<Omit<BlockResult, 'outcomes'> & { calls: number }> = [];
    for (const [li, load] of LOADS.entries()) {
      const blocks: BlockResult[] = [];
      for (let pair = 0; pair < PAIRS; pair++) {
        const seed = 1_000 * (li + 1) + pair;
        // Every side sees the same arrivals in a pair; the order rotates from pair to pair.
        for (let k = 0; k < sides.length; k++) {
          const side = sides[(pair + k) % sides.length] as Side;
          blocks.push(await runBlock(topology, c, side, load, seed));
        }
      }
      for (const b of blocks) {
        const { outcomes, ...rest } = b;
        raw.push({ ...rest, calls: outcomes.length });
      }
      const loadAvg = round(loadavg()[0] ?? Number.NaN);
      for (const row of summarise(load, blocks, loadAvg, 'via')) rows.push(row);
      if (c.before) for (const row of summarise(load, blocks, loadAvg, 'before')) rows.push(row);
      const first = blocks.flatMap((b) => b.outcomes).find((o) => o.error !== null);
      if (first) console.log(`load ${load}: first error: ${first.error}`);
    }
    const loadOf = (r: Row) => Number.parseInt(r.load, 10) / 100;
    const table = rows.map((r) => ({
      load: r.load,
      class: r.class,
      build: r.build,
      'offered/s': r.offered,
      p50: r.via_p50,
      p99: r.via_p99,
      'p99.9': r.via_p999,
      'p50 direct': r.direct_p50,
      'p99 direct': r.direct_p99,
      'p99.9 direct': r.direct_p999,
      'p99 over direct': r.p99_over_direct,
      refused: `${r.refused} (${r.refused_pct}%)`,
      'refusal p99 ms': r.refusal_p99_ms ?? '-',
      'Retry-After': r.refusals_well_formed === null ? '-' : r.refusals_well_formed ? 'yes' : 'NO',
      'upstream 429': r.upstream_429,
      'governor waits (avg ms)': `${r.governor_waits} (${r.governor_wait_avg_ms})`,
      'CPU idle %': r.cpu_idle_pct,
      'workerd CPU % (direct)': `${r.workerd_cpu_via_pct} (${r.workerd_cpu_direct_pct})`,
      '429 passed on': r.passed_on_429,
      'load avg': r.load_avg_1m,
      result: verdict(r, loadOf(r)),
    }));
    printTable(
      `Open loop: Poisson arrivals against a ${LIMIT}/s account limit per class, upstream latency ${UPSTREAM_LATENCY_MS} ms, ${PAIRS} rounds of ${BLOCK_MS} ms blocks per side (${sides.join(', ')}) and load (ms)`,
      table,
    );
    console.log(
      'governor waits: admissions this isolate made wait for a permit, in the via blocks (both classes); upstream 429: the simulator counted them in the via blocks (both classes)',
    );
    writeResult('openloop', {
      limit: LIMIT,
      upstream_latency_ms: UPSTREAM_LATENCY_MS,
      block_ms: BLOCK_MS,
      pairs: PAIRS,
      agents: AGENTS,
      baseline: BASELINE ?? null,
      baseline_vars: BASELINE ? BASELINE_VARS : null,
      rows: rows.map((r) => ({ ...r, result: verdict(r, loadOf(r)) })),
      blocks: raw,
    });
  } finally {
    await topology.dispose();
  }
}
