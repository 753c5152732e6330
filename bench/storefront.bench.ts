import { startTopology } from '../scripts/bench-topology';
import { TOKENIZE_JS } from '../src/browser/tokenize-bundle';
import { gzipKiB, workerSize } from './bundle-size';
import {
  createSessionDirect,
  createSessionVia,
  OPEN_STOREFRONT_VARS,
  SIM_LIMITS_OUT_OF_REACH,
  storefrontSessionBody,
  upstreamSessionBody,
} from './fixtures';
import { printHotPath, runHotPath } from './hot-path';
import { printTable, round, writeResult } from './lib';

/**
 * Create-payment-session through Bollard's storefront (CORS, per-client limit in the guard Durable
 * Object, validation, body building, the account governor, the outbound client) vs the same call straight
 * to the simulator (`POST /payment-sessions`) and through a Worker that only forwards it (the floor of
 * any gateway here), all in one workerd (scripts/bench-topology.ts), at concurrency 1 and 32 in
 * interleaved rounds. Targets: p50 ≤ 1.2× direct, throughput ≥ 0.8×. Also the
 * minified, gzipped sizes of the Worker bundle and of the tokenization helper.
 */

export default async function run(): Promise<void> {
  const topology = await startTopology({
    // Measure the path, not the throttles (their Durable Object round trips still happen, and are counted).
    vars: OPEN_STOREFRONT_VARS,
    simVars: SIM_LIMITS_OUT_OF_REACH,
  });
  try {
    const directBody = upstreamSessionBody('BENCH');
    const createDirect = async (base: string) => {
      const res = await createSessionDirect(base, directBody);
      await res.arrayBuffer();
      return res.status === 201;
    };
    const viaBody = storefrontSessionBody('BENCH');
    const result = await runHotPath(
      {
        surface: 'storefront create-session',
        direct: () => createDirect(topology.simUrl),
        floor: () => createDirect(`${topology.bareUrl}/forward`),
        // One client per entry: the per-client budget is leased per isolate and per client, and two
        // isolates drawing on one client's bucket would drain it at twice its refill rate.
        via: (base) =>
          createSessionVia(base, viaBody, base === topology.meteredUrl ? '198.51.100.2' : '198.51.100.1'),
        status: 201,
        target: { p50Ratio: 1.2, rpsRatio: 0.8 },
      },
      topology,
    );
    printHotPath('POST /v1/payment-sessions (open mode) vs POST /payment-sessions on the simulator', result);

    const worker = await workerSize();
    const sizes = [
      {
        artifact: 'Bollard Worker main module (wrangler deploy --dry-run --minify)',
        'minified KiB': worker.minifiedKiB,
        'gzip KiB': worker.gzipKiB,
      },
      {
        artifact: 'tokenize.js helper',
        'minified KiB': round(Buffer.byteLength(TOKENIZE_JS) / 1024),
        'gzip KiB': gzipKiB(TOKENIZE_JS),
      },
    ];
    printTable('Bundle sizes', sizes);
    writeResult('storefront', { ...result, sizes });
  } finally {
    await topology.dispose();
  }
}
