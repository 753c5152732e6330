import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { CompactSign, importJWK, type JWK } from 'jose';
import { Miniflare } from 'miniflare';
import { bundleWorker } from '../scripts/build-sim';
import { printTable, round, writeResult } from './lib';

/**
 * What a receipt costs on the call path (docs/agents.md, "Proving what an agent did"): the SHA-256 of both
 * bodies and one Ed25519 compact JWS, no Durable Object, no I/O once the key is imported. Measured in workerd
 * (Miniflare; bench/receipts-worker runs the gateway's own `issueReceipt`) as the wall-time difference
 * between a request that signs N receipts and one that signs none — a Worker cannot time its own CPU — and,
 * for scale, the same operations with jose in Node (OpenSSL rather than workerd's BoringSSL).
 */
const N = 2_000;
const ROUNDS = 5;
const PORT = 18789;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function nodeScale(key: string): Promise<number[]> {
  const signingKey = await importJWK(JSON.parse(key) as JWK, 'EdDSA');
  const body = 'x'.repeat(1_000);
  const once = () =>
    new CompactSign(
      new TextEncoder().encode(
        JSON.stringify({
          sub: 'agt_bench',
          jti: randomUUID(),
          request_sha256: createHash('sha256').update(body.slice(0, 200)).digest('hex'),
          response_sha256: createHash('sha256').update(body).digest('hex'),
          padding: 'y'.repeat(500),
        }),
      ),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bench', typ: 'bollard-receipt+jwt' })
      .sign(signingKey);
  await once();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await once();
    rounds.push(((performance.now() - t0) / N) * 1000);
  }
  return rounds;
}

export default async function run(): Promise<void> {
  const key = JSON.stringify({
    ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }),
    kid: 'bench',
  });
  const script = await bundleWorker('bench/receipts-worker/index.ts', '.build/receipts-bench/index.js');
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: PORT,
    modules: true,
    scriptPath: script,
    compatibilityDate: '2026-04-26',
    compatibilityFlags: ['nodejs_compat'],
    bindings: { RECEIPT_SIGNING_KEY: key, BOLLARD_PUBLIC_URL: 'https://bollard.example.com' },
  });
  try {
    const url = await mf.ready;
    const timed = async (mode: string, n: number) => {
      const t0 = performance.now();
      await (await fetch(new URL(`/?mode=${mode}&n=${n}`, url))).json();
      return performance.now() - t0;
    };
    await timed('receipt', 200); // import the key, warm the JIT
    const workerd: Record<'receipt' | 'hash', number[]> = { receipt: [], hash: [] };
    for (let r = 0; r < ROUNDS; r++)
      for (const mode of ['receipt', 'hash'] as const) {
        const base = await timed('none', 0);
        const full = await timed(mode, N);
        workerd[mode].push(((full - base) / N) * 1000);
      }
    const node = await nodeScale(key);
    const row = (runtime: string, what: string, xs: number[]) => ({
      runtime,
      what,
      'µs median': round(median(xs)),
      'µs min': round(Math.min(...xs)),
    });
    const rows = [
      row('workerd', 'receipt: 2 × SHA-256 + Ed25519 JWS (issueReceipt)', workerd.receipt),
      row('workerd', 'the two SHA-256 only', workerd.hash),
      row('node', 'the same operations with jose', node),
    ];
    printTable(`CPU per receipt (${N} a round, ${ROUNDS} rounds; bodies of ~200 B and ~1.3 KiB)`, rows);
    writeResult('receipts', { n: N, rounds: ROUNDS, rows, raw: { workerd, node } });
  } finally {
    await mf.dispose();
  }
}
