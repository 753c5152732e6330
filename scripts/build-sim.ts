import { build } from 'esbuild';

/**
 * Bundles the simulator Worker to one ES module, so Miniflare can run it as an auxiliary Worker beside
 * Bollard in the workerd test pool (auxiliary Workers get no Vite transform).
 */
export async function buildSimulator(outfile = '.build/checkout-sim/index.js'): Promise<string> {
  await build({
    entryPoints: ['workers/checkout-sim/index.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['cloudflare:*', 'node:*'],
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Bundles the deliberately misbehaving upstream the outbound client's tests run against
 * (`test/support/flaky-upstream-worker.ts`: 429 bursts, 5xx, hangs, malformed JSON, dropped bodies).
 */
export async function buildFlakyUpstream(outfile = '.build/flaky-upstream/index.js'): Promise<string> {
  await build({
    entryPoints: ['test/support/flaky-upstream-worker.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'warning',
  });
  return outfile;
}
