import { createHmac } from 'node:crypto';
import { startTopology } from '../scripts/bench-topology';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { signCko, verifyCkoSignature } from '../src/webhooks/signature';
import { printHotPath, runHotPath } from './hot-path';
import { printTable, round, writeResult } from './lib';

/**
 * Webhook deliveries: Bollard's receiver (verify, validate, durable record in the subject's inbox shard,
 * acknowledge) against a bare Hono Worker that only reads the body and answers 200, both in one workerd
 * (scripts/bench-topology.ts), at concurrency 1 and 32 in interleaved rounds. Target: deliveries/s ≥ 0.8×
 * the bare Worker's. Then `Cko-Signature` verification alone over a 4 KiB body.
 */
const KEY = DEV_CREDENTIALS.webhookSigningKey;
/** Deliveries spread over this many payments (hashed over the inbox shards), as a busy shop's would be. */
const PAYMENTS = 200;

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
function id(prefix: string): string {
  let s = '';
  for (const b of crypto.getRandomValues(new Uint8Array(26))) s += alphabet[b & 31];
  return `${prefix}_${s}`;
}

/** A realistic `payment_captured` delivery (~1.3 KiB), with a fresh event id. */
function captured(paymentId: string): string {
  const eventId = id('evt');
  return JSON.stringify({
    id: eventId,
    type: 'payment_captured',
    version: '1.0.29',
    created_on: new Date().toISOString(),
    data: {
      id: paymentId,
      action_id: id('act'),
      reference: 'ORD-5023-4E89',
      amount: 1000,
      currency: 'EUR',
      processed_on: new Date().toISOString(),
      response_code: '10000',
      response_summary: 'Approved',
      balances: {
        total_authorized: 1000,
        total_voided: 0,
        available_to_void: 0,
        total_captured: 1000,
        available_to_capture: 0,
        total_refunded: 0,
        available_to_refund: 1000,
      },
      metadata: { order: '5023', channel: 'web' },
      processing: { acquirer_transaction_id: '8367314942', acquirer_reference_number: '000220552364' },
      event_links: {
        payment: `https://api.sandbox.checkout.com/payments/${paymentId}`,
        payment_actions: `https://api.sandbox.checkout.com/payments/${paymentId}/actions`,
      },
    },
    _links: {
      self: { href: `https://api.sandbox.checkout.com/workflows/events/${eventId}` },
      subject: { href: `https://api.sandbox.checkout.com/workflows/events/subject/${paymentId}` },
    },
  });
}

/**
 * A fresh signed delivery per call (a repeat would be a cheap duplicate), made the same way for both
 * sides: a synchronous HMAC of a ~1.3 KiB body costs the load generator microseconds.
 */
const payments = Array.from({ length: PAYMENTS }, () => id('pay'));
let next = 0;
function delivery(): RequestInit {
  const body = captured(payments[next++ % PAYMENTS] as string);
  const signature = createHmac('sha256', KEY).update(body).digest('hex');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cko-signature': signature },
    body,
  };
}

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
        direct: async () => {
          const res = await fetch(`${topology.bareUrl}/`, delivery());
          await res.arrayBuffer();
          return res.status === 200;
        },
        via: (base) => fetch(`${base}/webhooks/checkout`, delivery()),
        status: 200,
        target: { rpsRatio: 0.8 },
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
      payments: PAYMENTS,
      verify_4kib_ops_per_s: { one_key: verifyOne, three_keys: verifyThree },
    });
  } finally {
    await topology.dispose();
  }
}
