import { Miniflare } from 'miniflare';
import { buildSimulator } from '../scripts/build-sim';
import { startStack } from '../scripts/stack';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { simAuxWorker } from '../test/support/sim-worker';
import type { Measurement } from './lib';
import { measure, printTable, round, writeResult } from './lib';

const RAISED = { SIM_READS_PER_SECOND: '1000000', SIM_WRITES_PER_SECOND: '1000000' };

/** Measures the three calls against `base`, in two interleaved rounds (best kept). */
async function measureAll(base: string): Promise<Record<string, string | number>[]> {
  const auth = { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}` };
  const payment = JSON.stringify({
    source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
    amount: 1000,
    currency: 'GBP',
    reference: 'bench',
  });
  const seed = await fetch(`${base}/payments`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: payment,
  });
  const id = ((await seed.json()) as { id: string }).id;
  const getPayment = async () => {
    const res = await fetch(`${base}/payments/${id}`, { headers: auth });
    await res.arrayBuffer();
    return res.status === 200;
  };
  const postPayment = async () => {
    const res = await fetch(`${base}/payments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: payment,
    });
    await res.arrayBuffer();
    return res.status === 201;
  };
  const health = async () => {
    const res = await fetch(`${base}/healthz`);
    await res.arrayBuffer();
    return res.ok;
  };
  const opts = { concurrency: 32, durationMs: 5_000, warmup: 50 };
  const calls = [
    ['GET /healthz (baseline: Worker + object, no auth, no SQL)', health],
    ['GET /payments/{id}', getPayment],
    ['POST /payments (card, captured, 2 events)', postPayment],
  ] as const;
  // Two interleaved rounds: the machine is shared, so a single pass says more about the neighbours.
  const rounds: Record<string, Measurement[]> = {};
  for (let pass = 0; pass < 2; pass++) {
    for (const [name, fn] of calls) {
      const list = rounds[name] ?? [];
      list.push(await measure(fn, opts));
      rounds[name] = list;
    }
  }
  const best = (name: string) => [...(rounds[name] ?? [])].sort((a, b) => b.rps - a.rps)[0] as Measurement;
  const baseline = best(calls[0][0]).rps;
  const rows = calls.map(([name]) => {
    const m = best(name);
    return { call: name, ...m, 'x 100 req/s': round(m.rps / 100), 'vs baseline': round(m.rps / baseline) };
  });
  return rows;
}

/**
 * Throughput of the simulator alone (real `wrangler dev` on loopback, rate limits raised out of the way):
 * it must never be the bottleneck of Bollard's benchmarks, whose upstream budget is 100 reads/s and
 * 100 writes/s. Reported against that budget as a ratio, and against `/healthz` (the same Worker and
 * object, no auth, no SQL) as the floor of the platform on this machine.
 */
export default async function run(): Promise<void> {
  const stack = await startStack({ simPort: 18782, bollardPort: 18783, simOnly: true, simVars: RAISED });
  let viaWrangler: Record<string, string | number>[];
  let counted: number;
  try {
    viaWrangler = await measureAll(stack.simUrl);
    const stats = await fetch(`${stack.simUrl}/_sim/stats`, {
      headers: { authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` },
    });
    counted = ((await stats.json()) as { requests: { total: number } }).requests.total;
  } finally {
    await stack.stop();
  }
  printTable(
    'Simulator alone via wrangler dev (32 concurrent, 5 s, best of 2 interleaved rounds)',
    viaWrangler,
  );
  console.log(`requests counted by the simulator's own stats: ${counted}`);
  // The same bundle in workerd through Miniflare, without wrangler dev's proxy in front: the simulator's
  // own cost, apart from the dev server's.
  const options = simAuxWorker(await buildSimulator('.build/sim-bench/index.js'));
  const mf = new Miniflare({
    ...options,
    bindings: { ...(options.bindings as Record<string, string>), ...RAISED },
    host: '127.0.0.1',
    port: 0,
  } as ConstructorParameters<typeof Miniflare>[0]);
  let direct: Record<string, string | number>[];
  try {
    direct = await measureAll((await mf.ready).toString().replace(/\/$/, ''));
  } finally {
    await mf.dispose();
  }
  printTable('The same, workerd via Miniflare (no dev proxy)', direct);
  writeResult('sim', { viaWrangler, counted, direct });
}
