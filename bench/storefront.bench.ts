import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startStack } from '../scripts/stack';
import { TOKENIZE_JS } from '../src/browser/tokenize-bundle';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { type Measurement, measure, printTable, round, writeResult } from './lib';

/**
 * Create-payment-session through Bollard's storefront (CORS, per-client limit in the guard Durable
 * Object, validation, body building, the account governor, the outbound client) vs the same call straight
 * to the simulator, in the same run, at concurrency 1 and 32, interleaved rounds. Reported as the added
 * p50/p99 latency and the throughput ratio; target: Bollard's p50 ≤ 1.2× the direct p50. Also the
 * minified, gzipped sizes of the Worker bundle and of the tokenization helper.
 */
const ROOT = resolve(import.meta.dirname, '..');
const SIM_PORT = 18794;
const BOLLARD_PORT = 18795;
const ORIGIN = `http://127.0.0.1:${BOLLARD_PORT}`;
const ROUNDS = 3;

const billing = { address: { country: 'GB', city: 'London' } };
const urls = { success_url: `${ORIGIN}/?outcome=success`, failure_url: `${ORIGIN}/?outcome=failure` };

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

function gzipKiB(bytes: Buffer | string): number {
  return round(gzipSync(bytes, { level: 9 }).length / 1024);
}

/** `wrangler deploy --dry-run --outdir dist --minify`: the Worker as it would be uploaded. */
function workerSize(): { minifiedKiB: number; gzipKiB: number } {
  const outdir = join(ROOT, 'dist');
  execFileSync(
    join(ROOT, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir, '--minify'],
    {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  );
  const js = readdirSync(outdir).filter((f) => f.endsWith('.js') && statSync(join(outdir, f)).isFile());
  const all = Buffer.concat(js.map((f) => readFileSync(join(outdir, f))));
  return { minifiedKiB: round(all.length / 1024), gzipKiB: gzipKiB(all) };
}

export default async function run(): Promise<void> {
  const stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: {
      STOREFRONT_ORDER_MODE: 'open',
      STOREFRONT_ORIGINS: ORIGIN,
      // Measure the path, not the throttles: the per-client and account budgets are set out of reach
      // (their Durable Object round trips still happen on every call).
      STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '100000000',
      RATE_LIMIT_WRITES_PER_SECOND: '100000',
      RATE_LIMIT_READS_PER_SECOND: '100000',
    },
    simVars: { SIM_READS_PER_SECOND: '100000', SIM_WRITES_PER_SECOND: '100000' },
  });
  try {
    const direct = async () => {
      const res = await fetch(`${stack.simUrl}/payment-sessions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${DEV_CREDENTIALS.storefrontSecretKey}`,
          'content-type': 'application/json',
          'cko-idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({
          amount: 1999,
          currency: 'GBP',
          reference: 'BENCH',
          billing,
          ...urls,
          processing_channel_id: 'pc_devstorefrontchannelaaaaaa',
          payment_type: 'Regular',
          capture: true,
        }),
      });
      await res.text();
      return res.status === 201;
    };
    // Non-201 answers through Bollard, by status, so errors in the table can be told apart (429, 5xx...).
    const bollardErrors: Record<string, number> = {};
    const viaBollard = async () => {
      const res = await fetch(`${stack.bollardUrl}/v1/payment-sessions`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 1999, currency: 'GBP', reference: 'BENCH', billing, ...urls }),
      });
      await res.text();
      if (res.status !== 201) bollardErrors[res.status] = (bollardErrors[res.status] ?? 0) + 1;
      return res.status === 201;
    };

    const rows: Array<Record<string, string | number>> = [];
    const summary: Array<Record<string, number>> = [];
    for (const [concurrency, requests] of [
      [1, 150],
      [32, 640],
    ] as const) {
      const opts = { concurrency, requests, warmup: 20 };
      const rounds: Array<{ direct: Measurement; bollard: Measurement }> = [];
      for (let i = 0; i < ROUNDS; i++) {
        rounds.push({ direct: await measure(direct, opts), bollard: await measure(viaBollard, opts) });
      }
      rounds.forEach((r, i) => {
        rows.push({ concurrency, round: i + 1, path: 'direct to simulator', ...r.direct });
        rows.push({ concurrency, round: i + 1, path: 'through Bollard', ...r.bollard });
      });
      summary.push({
        concurrency,
        'p50 ratio': round(median(rounds.map((r) => r.bollard.p50 / r.direct.p50))),
        'added p50 ms': round(median(rounds.map((r) => r.bollard.p50 - r.direct.p50))),
        'added p99 ms': round(median(rounds.map((r) => r.bollard.p99 - r.direct.p99))),
        'rps ratio': round(median(rounds.map((r) => r.bollard.rps / r.direct.rps))),
        errors: rounds.reduce((n, r) => n + r.bollard.errors + r.direct.errors, 0),
      });
    }
    printTable('POST payment session: straight to the simulator vs through Bollard (open mode)', rows);
    printTable('Bollard vs direct (median of rounds; target p50 ratio ≤ 1.2)', summary);
    console.log(`non-201 answers through Bollard, by status: ${JSON.stringify(bollardErrors)}`);

    const worker = workerSize();
    const helper = {
      minifiedKiB: round(Buffer.byteLength(TOKENIZE_JS) / 1024),
      gzipKiB: gzipKiB(TOKENIZE_JS),
    };
    const sizes = [
      {
        artifact: 'Bollard Worker (wrangler deploy --dry-run --minify)',
        'minified KiB': worker.minifiedKiB,
        'gzip KiB': worker.gzipKiB,
      },
      { artifact: 'tokenize.js helper', 'minified KiB': helper.minifiedKiB, 'gzip KiB': helper.gzipKiB },
    ];
    printTable('Bundle sizes', sizes);
    writeResult('storefront', { rows, summary, bollardErrors, sizes, target: { p50Ratio: 1.2 } });
  } finally {
    await stack.stop();
  }
}
