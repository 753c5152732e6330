import type { WorkerOptions } from 'miniflare';

/** The misbehaving upstream as a Miniflare auxiliary Worker (bundle from `scripts/build-sim.ts`). */
export function flakyUpstreamAuxWorker(scriptPath: string): WorkerOptions {
  return { name: 'flaky-upstream', modules: true, scriptPath, compatibilityDate: '2026-04-26' };
}
