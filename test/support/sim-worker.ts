import type { WorkerOptions } from 'miniflare';

/** Simulator settings for tests: real formats, low rate limits where a test needs them via /_sim/config. */
export const SIM_TEST_VARS: Record<string, string> = {
  SIM_ADMIN_KEY: 'sim_admin_dev',
  SIM_READS_PER_SECOND: '100',
  SIM_WRITES_PER_SECOND: '100',
  SIM_TOKEN_TTL_SECONDS: '14400',
  SIM_TIME_SCALE: '3600',
};

/** The simulator as a Miniflare auxiliary Worker, from the bundle `scripts/build-sim.ts` produces. */
export function simAuxWorker(scriptPath: string): WorkerOptions {
  return {
    name: 'checkout-sim',
    modules: true,
    scriptPath,
    compatibilityDate: '2026-04-26',
    bindings: SIM_TEST_VARS,
    durableObjects: { SIM_ACCOUNT: { className: 'SimAccount', useSQLite: true } },
  };
}
