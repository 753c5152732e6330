import type { WorkerOptions } from 'miniflare';
import { bundleWorker } from '../../../../scripts/build-sim';

/** Bundles the webhook sink (auxiliary Workers get no Vite transform) and describes it for Miniflare. */
export async function webhookSinkWorker(outfile = '.build/webhook-sink/index.js'): Promise<WorkerOptions> {
  await bundleWorker('test/checkout-sim/events/support/webhook-sink.ts', outfile);
  return { name: 'webhook-sink', modules: true, scriptPath: outfile, compatibilityDate: '2026-04-26' };
}
