import { startStack } from '../scripts/stack';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { measure, printTable, round, writeResult } from './lib';

/**
 * Throughput of the simulator alone (real `wrangler dev` on loopback, rate limits raised out of the way):
 * it must never be the bottleneck of Bollard's benchmarks, whose upstream budget is 100 reads/s and
 * 100 writes/s. Reported against that budget as a ratio.
 */
export default async function run(): Promise<void> {
  const stack = await startStack({
    simPort: 18782,
    bollardPort: 18783,
    simOnly: true,
    simVars: { SIM_READS_PER_SECOND: '1000000', SIM_WRITES_PER_SECOND: '1000000' },
  });
  try {
    const auth = { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}` };
    const payment = JSON.stringify({
      source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
      amount: 1000,
      currency: 'GBP',
      reference: 'bench',
    });
    const seed = await fetch(`${stack.simUrl}/payments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: payment,
    });
    const id = ((await seed.json()) as { id: string }).id;
    const getPayment = async () => {
      const res = await fetch(`${stack.simUrl}/payments/${id}`, { headers: auth });
      await res.arrayBuffer();
      return res.status === 200;
    };
    const postPayment = async () => {
      const res = await fetch(`${stack.simUrl}/payments`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: payment,
      });
      await res.arrayBuffer();
      return res.status === 201;
    };
    const health = async () => {
      const res = await fetch(`${stack.simUrl}/healthz`);
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
    const rounds: Record<string, Awaited<ReturnType<typeof measure>>[]> = {};
    for (let pass = 0; pass < 2; pass++) {
      for (const [name, fn] of calls) {
        const list = rounds[name] ?? [];
        list.push(await measure(fn, opts));
        rounds[name] = list;
      }
    }
    const best = (name: string) =>
      [...(rounds[name] ?? [])].sort((a, b) => b.rps - a.rps)[0] as Awaited<ReturnType<typeof measure>>;
    const baseline = best(calls[0][0]).rps;
    const rows = calls.map(([name]) => {
      const m = best(name);
      return { call: name, ...m, 'x 100 req/s': round(m.rps / 100), 'vs baseline': round(m.rps / baseline) };
    });
    printTable('Simulator alone via wrangler dev (32 concurrent, 5 s, best of 2 interleaved rounds)', rows);
    const stats = await fetch(`${stack.simUrl}/_sim/stats`, {
      headers: { authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` },
    });
    const counted = ((await stats.json()) as { requests: { total: number } }).requests.total;
    console.log(`requests counted by the simulator's own stats: ${counted}`);
    writeResult('sim', { rows, counted });
  } finally {
    await stack.stop();
  }
}
