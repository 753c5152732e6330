import { startStack } from '../scripts/stack';
import { createCheckoutClient } from '../src/checkout/client';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { measure, printTable, round, writeResult } from './lib';

/**
 * The outbound client's overhead: the same reads sent to the simulator (real `wrangler dev` on loopback)
 * with a bare `fetch` and through `createCheckoutClient` (entry lookup, URL building, headers, timeout
 * signal, body parse). Interleaved rounds, reported as ratios: absolute times drift on a shared machine.
 */
export default async function run(): Promise<void> {
  const stack = await startStack({
    simPort: 18780,
    bollardPort: 18781,
    simOnly: true,
    // High limits: this measures the client, not the simulator's throttling.
    simVars: { SIM_READS_PER_SECOND: '100000', SIM_WRITES_PER_SECOND: '100000' },
  });
  try {
    const client = createCheckoutClient({
      baseUrl: stack.simUrl,
      credential: { kind: 'secret_key', secretKey: DEV_CREDENTIALS.secretKey },
    });
    const id = 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa';
    const raw = async () => {
      const res = await fetch(`${stack.simUrl}/payments/${id}`, {
        headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, accept: 'application/json' },
      });
      await res.text();
      return res.status === 404;
    };
    const viaClient = async () => (await client.send('getPayment', { params: { id } })).status === 404;
    const opts = { concurrency: 8, requests: 400, warmup: 30 };
    const rounds: Array<{
      raw: Awaited<ReturnType<typeof measure>>;
      client: Awaited<ReturnType<typeof measure>>;
    }> = [];
    for (let i = 0; i < 3; i++)
      rounds.push({ raw: await measure(raw, opts), client: await measure(viaClient, opts) });
    const rows = rounds.flatMap((r, i) => [
      { round: i + 1, path: 'bare fetch', ...r.raw },
      { round: i + 1, path: 'checkout client', ...r.client },
    ]);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const p50Ratio = round(median(rounds.map((r) => r.client.p50 / r.raw.p50)));
    const rpsRatio = round(median(rounds.map((r) => r.client.rps / r.raw.rps)));
    printTable('GET /payments/{unknown} against the simulator (8 concurrent, 400 calls per round)', rows);
    console.log(`client/bare p50 ratio (median of rounds): ${p50Ratio}; rps ratio: ${rpsRatio}`);
    writeResult('checkout-client', { rows, p50Ratio, rpsRatio });
  } finally {
    await stack.stop();
  }
}
