import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { startStack } from '../scripts/stack';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { signCko, verifyCkoSignature } from '../src/webhooks/signature';
import { type Measurement, measure, printTable, round, writeResult } from './lib';

/**
 * Webhook deliveries per second through `wrangler dev`: Bollard's receiver (verify, validate, durable
 * record in the subject's inbox shard, acknowledge) against a bare Worker that only reads the body and
 * answers 200, in the same run at concurrency 32. Then `Cko-Signature` verification alone over a 4 KiB body.
 */
const SIM_PORT = 18790;
const BOLLARD_PORT = 18791;
const BARE_PORT = 18792;
const CONCURRENCY = 32;
const DURATION_MS = 10_000;
/** Deliveries spread over this many payments (hashed over the inbox shards), as a busy shop's would be. */
const PAYMENTS = 200;
const KEY = DEV_CREDENTIALS.webhookSigningKey;
const ROOT = resolve(import.meta.dirname, '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startBare(): ChildProcess {
  return spawn(
    resolve(ROOT, 'node_modules/.bin/wrangler'),
    ['dev', '-c', 'bench/bare-worker/wrangler.toml', '--ip', '127.0.0.1', '--port', String(BARE_PORT)],
    {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        CI: 'true',
      },
    },
  );
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not start`);
}

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

/** Pre-signed deliveries, so the load generator's own HMAC work is not measured. */
async function deliveries(n: number): Promise<Array<{ body: string; signature: string }>> {
  const payments = Array.from({ length: PAYMENTS }, () => id('pay'));
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const body = captured(payments[i % PAYMENTS] as string);
      return { body, signature: await signCko(body, KEY) };
    }),
  );
}

/** The first failure of a load, so a broken run says why instead of reporting nonsense rates. */
let firstError: string | null = null;

async function load(url: string, pool: Array<{ body: string; signature: string }>): Promise<Measurement> {
  let next = 0;
  firstError = null;
  const m = await measure(
    async () => {
      const d = pool[next++ % pool.length] as { body: string; signature: string };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cko-signature': d.signature },
          body: d.body,
        });
        await res.arrayBuffer();
        if (res.status !== 200) firstError ??= `HTTP ${res.status}`;
        return res.status === 200;
      } catch (err) {
        firstError ??= String((err as Error).cause ?? err);
        return false;
      }
    },
    { concurrency: CONCURRENCY, durationMs: DURATION_MS, warmup: 50 },
  );
  if (firstError) console.log(`${url}: ${m.errors} errors, first: ${firstError}`);
  return m;
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
  const stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: { WEBHOOK_SIGNING_KEYS: KEY },
  });
  const bare = startBare();
  try {
    const bareUrl = `http://127.0.0.1:${BARE_PORT}/`;
    await waitUp(bareUrl);
    // Enough distinct events that no delivery repeats within a run (repeats would be cheap duplicates).
    const pool = await deliveries(20_000);
    const receiver = `${stack.bollardUrl}/webhooks/checkout`;
    // Interleaved (bare, bollard, bare) so drift on a shared machine hits both sides.
    const bare1 = await load(bareUrl, pool);
    const webhook = await load(receiver, pool);
    const bare2 = await load(bareUrl, pool);
    const bareRps = (bare1.rps + bare2.rps) / 2;
    const ratio = round(webhook.rps / bareRps, 3);

    const verifyOne = await verificationOpsPerSecond(KEY);
    const verifyThree = await verificationOpsPerSecond(`whsec_old_a,whsec_old_b,${KEY}`);

    const row = (name: string, m: Measurement) => ({
      target: name,
      rps: m.rps,
      p50_ms: m.p50,
      p99_ms: m.p99,
      errors: m.errors,
      count: m.count,
    });
    printTable(
      `Webhook deliveries, concurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s each (wrangler dev)`,
      [
        row('bare worker (run 1)', bare1),
        row('bollard /webhooks/checkout', webhook),
        row('bare worker (run 2)', bare2),
      ],
    );
    printTable('Summary', [
      { metric: 'bollard / bare throughput', value: ratio, target: '>= 0.5' },
      { metric: 'bollard p99 (ms)', value: webhook.p99, target: '-' },
      { metric: 'verify 4 KiB, 1 key (ops/s)', value: verifyOne, target: '-' },
      { metric: 'verify 4 KiB, 3 keys (ops/s)', value: verifyThree, target: '-' },
    ]);
    const file = writeResult('webhooks', {
      concurrency: CONCURRENCY,
      duration_ms: DURATION_MS,
      payments: PAYMENTS,
      bare: [bare1, bare2],
      webhook,
      ratio,
      verify_4kib_ops_per_s: { one_key: verifyOne, three_keys: verifyThree },
    });
    console.log(`\nwrote ${file}`);
  } finally {
    if (bare.pid !== undefined) {
      try {
        process.kill(-bare.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await stack.stop();
  }
}
