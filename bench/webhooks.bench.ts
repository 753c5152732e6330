import { startTopology } from '../scripts/bench-topology';
import { signCko, verifyCkoSignature } from '../src/webhooks/signature';
import { printHotPath, runHotPath } from './hot-path';
import { printTable, round, writeResult } from './lib';
import { deliverTo, delivery, EVENTS_PER_PAYMENT, WEBHOOK_KEY } from './webhook-delivery';

/**
 * Webhook deliveries: Bollard's receiver (verify, validate, durable record in the subject's inbox shard,
 * acknowledge) against a bare Hono Worker that only reads the body and answers 200, both in one workerd
 * (scripts/bench-topology.ts), at concurrency 1 and 32 in interleaved rounds. Target (issue 19): deliveries/s ≥ 0.7×
 * the bare Worker's. Then `Cko-Signature` verification alone over a 4 KiB body.
 */
const KEY = WEBHOOK_KEY;

async function verificationOpsPerSecond(keys: string): Promise<number> {
  const body = new TextEncoder().encode('x'.repeat(4096));
  const signature = await signCko(body, KEY);
  await verifyCkoSignature(body, signature, keys);
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await verifyCkoSignature(body, signature, keys);
    if (!r.ok) throw new Error('verification failed');
  }
  return round((n / (performance.now() - t0)) * 1000, 0);
}

export default async function run(): Promise<void> {
  const topology = await startTopology({ vars: { WEBHOOK_SIGNING_KEYS: KEY } });
  try {
    const result = await runHotPath(
      {
        surface: 'webhook delivery',
        direct: () => deliverTo(`${topology.bareUrl}/`),
        via: (base) => fetch(`${base}/webhooks/checkout`, delivery()),
        status: 200,
        target: { rpsRatio: 0.7 },
      },
      topology,
    );
    printHotPath('POST /webhooks/checkout vs a bare Hono Worker (direct = bare)', result);

    const verifyOne = await verificationOpsPerSecond(KEY);
    const verifyThree = await verificationOpsPerSecond(`whsec_old_a,whsec_old_b,${KEY}`);
    printTable('Cko-Signature verification alone (Node, WebCrypto)', [
      { body: '4 KiB', keys: 1, 'ops/s': verifyOne },
      { body: '4 KiB', keys: 3, 'ops/s': verifyThree },
    ]);
    writeResult('webhooks', {
      ...result,
      events_per_payment: EVENTS_PER_PAYMENT,
      verify_4kib_ops_per_s: { one_key: verifyOne, three_keys: verifyThree },
    });
  } finally {
    await topology.dispose();
  }
}
