import { build } from 'esbuild';
import type { WorkerOptions } from 'miniflare';

/** Bundles the webhook sink (auxiliary Workers get no Vite transform) and describes it for Miniflare. */
export async function webhookSinkWorker(outfile = '.build/webhook-sink/index.js'): Promise<WorkerOptions> {
  await build({
    entryPoints: ['test/checkout-sim/events/support/webhook-sink.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'warning',
  });
  return { name: 'webhook-sink', modules: true, scriptPath: outfile, compatibilityDate: '2026-04-26' };
}
