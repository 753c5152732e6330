import { build } from 'esbuild';

/**
 * Bundles a Worker entry to one ES module. Miniflare runs auxiliary Workers (the simulator beside
 * Bollard in the workerd test pool, test upstreams, bench Workers) from bundles: they get no Vite
 * transform.
 */
export async function bundleWorker(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
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

/** The simulator Worker, bundled. */
export function buildSimulator(outfile = '.build/checkout-sim/index.js'): Promise<string> {
  return bundleWorker('workers/checkout-sim/index.ts', outfile);
}

/**
 * The deliberately misbehaving upstream the outbound client's tests run against
 * (`test/support/flaky-upstream-worker.ts`: 429 bursts, 5xx, hangs, malformed JSON, dropped bodies).
 */
export function buildFlakyUpstream(outfile = '.build/flaky-upstream/index.js'): Promise<string> {
  return bundleWorker('test/support/flaky-upstream-worker.ts', outfile);
}
