import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

/**
 * `npm run fuzz -- --runs N [--seed S]`: the fuzz suite (`test/fuzz/`, and the simulator's
 * `test/checkout-sim/fuzz.test.ts`) with N runs per property instead of CI's, and optionally another seed.
 * The run count and seed reach the tests through `FUZZ_RUNS`/`FUZZ_SEED` (vitest.config.ts `provide`).
 * Each property prints how many requests it sent and how long it took.
 */
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' } },
  allowPositionals: false,
});
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');

const started = Date.now();
const result = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--project',
    'bollard',
    '--project',
    'bollard-isolated',
    '--project',
    'checkout-sim',
    'test/fuzz/',
    'test/checkout-sim/fuzz.test.ts',
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_RUNS: String(runs),
      ...(seed !== undefined ? { FUZZ_SEED: String(seed) } : {}),
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    },
  },
);
console.log(`fuzz: ${runs} runs per property, ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
process.exit(result.status ?? 1);
