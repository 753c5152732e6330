import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStack } from '../scripts/stack';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { measure, printTable, round, writeResult } from './lib';

/**
 * What webhook delivery costs the simulator (real `wrangler dev`, a node:http receiver on loopback):
 * `POST /payments` throughput with no workflow vs with one subscribed to every event (each captured
 * payment emits payment_approved + payment_captured, queued in the request and delivered by the alarm),
 * and how fast the alarm drains the deliveries to the receiver, signed.
 */
export default async function run(): Promise<void> {
  let received = 0;
  let lastAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      lastAt = performance.now();
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const receiver = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const stack = await startStack({
    simPort: 18784,
    bollardPort: 18785,
    simOnly: true,
    simVars: { SIM_READS_PER_SECOND: '1000000', SIM_WRITES_PER_SECOND: '1000000' },
  });
  try {
    const headers = {
      authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`,
      'content-type': 'application/json',
    };
    const payment = JSON.stringify({
      source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
      amount: 1000,
      currency: 'GBP',
    });
    const postPayment = async () => {
      const res = await fetch(`${stack.simUrl}/payments`, { method: 'POST', headers, body: payment });
      await res.arrayBuffer();
      return res.status === 201;
    };
    const load = { concurrency: 8, durationMs: 5_000, warmup: 50 };
    const without = await measure(postPayment, load);

    const wf = await fetch(`${stack.simUrl}/workflows`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'bench',
        conditions: [{ type: 'event', events: { gateway: ['payment_approved', 'payment_captured'] } }],
        actions: [{ type: 'webhook', url: receiver, signature: { key: 'bench-key' } }],
      }),
    });
    if (wf.status !== 201) throw new Error(`workflow: ${wf.status}`);
    const t0 = performance.now();
    const withWorkflow = await measure(postPayment, { ...load, warmup: 0 });
    const loadEnd = performance.now();
    const expected = withWorkflow.count * 2;
    const deadline = Date.now() + 120_000;
    while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const drainMs = lastAt - t0;
    const rows = [
      { phase: 'POST /payments, no workflow', ...without },
      { phase: 'POST /payments, 1 webhook workflow', ...withWorkflow },
    ];
    printTable('Simulator: payment throughput with and without webhook delivery', rows);
    const deliveries = {
      expected,
      received,
      delivered_per_s: round((received / drainMs) * 1000),
      drained_after_load_ms: round(lastAt - loadEnd),
      rps_ratio_with_vs_without: round(withWorkflow.rps / without.rps),
    };
    printTable('Webhook deliveries to a loopback receiver', [deliveries]);
    writeResult('sim-webhooks', { without, withWorkflow, deliveries });
  } finally {
    await stack.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
