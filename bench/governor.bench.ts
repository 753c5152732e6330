import { Miniflare } from 'miniflare';
import { buildSimulator, bundleWorker } from '../scripts/build-sim';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { SIM_TEST_VARS, simAuxWorker } from '../test/support/sim-worker';
import { percentile, printTable, round, writeResult } from './lib';

/**
 * The account-wide rate governor against the simulator with the real limits (100 reads/s, 100 writes/s),
 * both real Workers in one Miniflare/workerd: a bench-only Worker (bench/governor-worker: the real
 * RateGovernor Durable Object, LeasedRateGate and outbound client) in front of the simulator, driven over
 * loopback HTTP from here.
 *
 * 1. A burst of 3× the write limit held for 10 s, open loop: upstream 429s (must be 0), the upstream rate
 *    while saturated (must be ≥ 95% of the limit), callers' p50/p99 wait, and how many were shed.
 * 2. The same for reads. 3. The write burst with the governor off (control).
 * 4. A steady 20 reads/s with the governor on and off, interleaved: latency ratio and governor round
 *    trips per call.
 */
const WORKER_PORT = 18787;
const LIMIT = 100;

interface CallResult {
  /** Bollard's error_type for a non-200 answer, or the fetch failure. */
  error?: string;
  status: number;
  upstream: number | null;
  waited: number;
  latency: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` };

interface SimStats {
  requests: { read: number; write: number };
  responses_429: number;
  peak_per_second: { read: number; write: number };
}

async function simStats(simUrl: string): Promise<SimStats> {
  // Retried: a loaded `wrangler dev` sometimes resets a reused keep-alive connection.
  for (let attempt = 0; ; attempt++) {
    try {
      return (await (await fetch(`${simUrl}/_sim/stats`, { headers: ADMIN })).json()) as SimStats;
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(100);
    }
  }
}

async function call(url: string): Promise<CallResult> {
  const t0 = performance.now();
  try {
    const res = await fetch(url);
    const body = (await res.json()) as {
      status?: number;
      waited_ms?: number;
      error_type?: string;
      error_codes?: string[];
    };
    const latency = performance.now() - t0;
    if (res.status === 429)
      return { status: 429, upstream: null, waited: Number(res.headers.get('x-waited-ms') ?? 0), latency };
    const result: CallResult = {
      status: res.status,
      upstream: body.status ?? null,
      waited: body.waited_ms ?? 0,
      latency,
    };
    if (res.status !== 200) result.error = `${res.status} ${body.error_type} ${body.error_codes?.join(',')}`;
    return result;
  } catch (err) {
    return { status: 0, upstream: null, waited: 0, latency: performance.now() - t0, error: String(err) };
  }
}

/** Fires `rps` calls per second for `durationMs` regardless of answers (open loop), sampling the simulator's counters. */
async function openLoop(
  url: string,
  simUrl: string,
  access: 'read' | 'write',
  rps: number,
  durationMs: number,
): Promise<{ results: CallResult[]; samples: { t: number; count: number }[] }> {
  const results: CallResult[] = [];
  const samples: { t: number; count: number }[] = [];
  const start = performance.now();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const t = performance.now() - start;
      const stats = await simStats(simUrl).catch(() => null);
      if (stats) samples.push({ t: (t + (performance.now() - start)) / 2, count: stats.requests[access] });
      await sleep(500);
    }
  })();
  const total = Math.round((rps * durationMs) / 1000);
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rps - performance.now();
    if (wait > 2) await sleep(wait);
    inflight.push(call(url).then((r) => void results.push(r)));
  }
  await Promise.all(inflight);
  done = true;
  await sampler;
  return { results, samples };
}

interface BurstAnswer {
  offered_ms: number;
  outcomes: { status: number | null; waited: number; shed: boolean; error?: string }[];
  samples: { t: number; count: number; r429: number }[];
}

/** Upstream calls per second while the burst was being offered (from 1 s in, to the end of the offered load). */
function saturatedRate(samples: BurstAnswer['samples'], untilMs: number): number {
  const inside = samples.filter((s) => s.t >= 1_000 && s.t <= untilMs);
  const first = inside[0];
  const last = inside.at(-1);
  if (!first || !last || last.t === first.t) return Number.NaN;
  return ((last.count - first.count) / (last.t - first.t)) * 1000;
}

async function burst(base: string, access: 'read' | 'write', governed: boolean) {
  await fetch(`${base}/reset`, { method: 'POST' });
  await sleep(1_100);
  const res = await fetch(
    `${base}/burst?access=${access}&gate=${governed ? 'on' : 'off'}&rps=${3 * LIMIT}&ms=10000`,
  );
  const answer = (await res.json()) as BurstAnswer;
  const snap = (await (await fetch(`${base}/snapshot`)).json()) as {
    gate: { expired: number; leases: number; acquired: number };
  };
  const first = answer.samples[0];
  const last = answer.samples.at(-1);
  const sent = answer.outcomes.filter((o) => o.status !== null);
  const waits = sent.map((o) => o.waited).sort((x, y) => x - y);
  const errors = answer.outcomes.filter((o) => o.status === null && !o.shed);
  const rate = saturatedRate(answer.samples, answer.offered_ms);
  if (errors.length > 0) console.log(`${access} burst: ${errors.length} errors, e.g. ${errors[0]?.error}`);
  return {
    phase: `${access} burst 3x, governor ${governed ? 'on' : 'off'}`,
    offered: answer.outcomes.length,
    sent_upstream: sent.length,
    upstream_429: (last?.r429 ?? 0) - (first?.r429 ?? 0),
    shed_429: answer.outcomes.filter((o) => o.shed).length,
    errors: errors.length,
    upstream_rps: round(rate),
    pct_of_limit: round((rate / LIMIT) * 100),
    wait_p50_ms: round(percentile(waits, 50)),
    wait_p99_ms: round(percentile(waits, 99)),
    gate_leases: snap.gate.leases,
    slots_expired: snap.gate.expired,
  };
}

/** The bench Worker bundled like the simulator (Miniflare runs bundles; no Vite here). */
function buildBenchWorker(outfile = '.build/bench/governor-worker.js'): Promise<string> {
  return bundleWorker('bench/governor-worker/index.ts', outfile);
}

export default async function run(): Promise<void> {
  const [simScript, benchScript] = await Promise.all([
    buildSimulator('.build/bench/checkout-sim.js'),
    buildBenchWorker(),
  ]);
  // Both Workers in one workerd: the bench Worker reaches the simulator through a service binding, and
  // the load comes over loopback HTTP straight into workerd (no `wrangler dev` proxy in between).
  const sim = simAuxWorker(simScript);
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: WORKER_PORT,
    workers: [
      {
        name: 'governor-bench',
        modules: true,
        scriptPath: benchScript,
        compatibilityDate: '2026-04-26',
        bindings: {
          CHECKOUT_API_BASE: 'http://checkout-sim.bench',
          CHECKOUT_SECRET_KEY: DEV_CREDENTIALS.secretKey,
          RATE_LIMIT_READS_PER_SECOND: String(LIMIT),
          RATE_LIMIT_WRITES_PER_SECOND: String(LIMIT),
          RATE_LIMIT_MAX_WAIT_MS: '2000',
        },
        durableObjects: { RATE_GOVERNOR: { className: 'RateGovernor', useSQLite: true } },
        serviceBindings: { CHECKOUT_SIM: 'checkout-sim' },
      },
      {
        ...sim,
        bindings: {
          ...SIM_TEST_VARS,
          SIM_READS_PER_SECOND: String(LIMIT),
          SIM_WRITES_PER_SECOND: String(LIMIT),
          SIM_TIME_SCALE: '1',
        },
      },
    ],
  });
  const base = (await mf.ready).origin;
  const simUrl = `${base}/sim`;
  const stop = () => void mf.dispose();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    // Warm both Workers (module load, the Durable Objects, connections).
    for (let i = 0; i < 20; i++) await call(`${base}/call?access=read&gate=on`);

    const bursts = [
      await burst(base, 'write', true),
      await burst(base, 'read', true),
      await burst(base, 'write', false),
    ];
    printTable(
      `Bursts of ${3 * LIMIT}/s for 10 s against limits of ${LIMIT}/s (open loop, generated in the Worker)`,
      bursts,
    );

    await fetch(`${base}/reset`, { method: 'POST' });
    await sleep(1_100);
    const rounds: Awaited<ReturnType<typeof steadyWithSim>>[] = [];
    for (let i = 0; i < 2; i++) {
      rounds.push(await steadyWithSim(base, simUrl, false));
      rounds.push(await steadyWithSim(base, simUrl, true));
    }
    const on = rounds.filter((r) => r.governed);
    const off = rounds.filter((r) => !r.governed);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const steadyRows = rounds.map((r, i) => ({
      round: Math.floor(i / 2) + 1,
      governor: r.governed ? 'on' : 'off',
      calls: r.calls,
      errors: r.errors,
      p50_ms: round(r.p50),
      p99_ms: round(r.p99),
      leases_per_call: round(r.leasesPerCall, 3),
    }));
    printTable('Steady 20 reads/s, 6 s per round, governor on vs off (interleaved)', steadyRows);
    const p50Ratio = round(median(on.map((r) => r.p50)) / median(off.map((r) => r.p50)));
    const p99Ratio = round(median(on.map((r) => r.p99)) / median(off.map((r) => r.p99)));
    const leasesPerCall = round(median(on.map((r) => r.leasesPerCall)), 3);
    console.log(
      `governor on/off p50 ratio: ${p50Ratio}; p99 ratio: ${p99Ratio}; governor round trips per call: ${leasesPerCall}`,
    );
    const file = writeResult('governor', {
      limit: LIMIT,
      bursts,
      steady: steadyRows,
      p50Ratio,
      p99Ratio,
      leasesPerCall,
    });
    console.log(`wrote ${file}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await mf.dispose();
  }

  async function steadyWithSim(b: string, simUrl: string, governed: boolean) {
    const snapBefore = (await (await fetch(`${b}/snapshot`)).json()) as {
      gate: { leases: number; acquired: number };
    };
    const { results } = await openLoop(
      `${b}/call?access=read&gate=${governed ? 'on' : 'off'}`,
      simUrl,
      'read',
      20,
      6_000,
    );
    const snapAfter = (await (await fetch(`${b}/snapshot`)).json()) as {
      gate: { leases: number; acquired: number };
    };
    const lat = results.map((r) => r.latency).sort((x, y) => x - y);
    const acquired = snapAfter.gate.acquired - snapBefore.gate.acquired;
    return {
      governed,
      calls: results.length,
      errors: results.filter((r) => r.upstream !== 404).length,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      leasesPerCall: acquired > 0 ? (snapAfter.gate.leases - snapBefore.gate.leases) / acquired : 0,
    };
  }
}
