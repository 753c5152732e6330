import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { buildFlakyUpstream, buildSimulator } from './scripts/build-sim';
import { webhookSinkWorker } from './test/checkout-sim/events/support/sink-worker';
import { flakyUpstreamAuxWorker } from './test/support/flaky-upstream';
import { simAuxWorker } from './test/support/sim-worker';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

// The simulator runs beside Bollard as an auxiliary Worker, reached through the CHECKOUT_SIM service binding.
const simScript = await buildSimulator();
const webhookSink = await webhookSinkWorker();
// A deliberately misbehaving upstream for the outbound client's tests, behind FLAKY_UPSTREAM.
const flakyScript = await buildFlakyUpstream();
// The fuzz suite's run count and seed (test/fuzz/support/config.ts): `npm run fuzz -- --runs N --seed S`.
const fuzz = {
  fuzzRuns: Number(process.env.FUZZ_RUNS ?? 0) || 0,
  fuzzSeed: Number(process.env.FUZZ_SEED ?? 0) || 0,
};

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: './workers/bollard/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // APPROVAL_NOTIFY_SINK: the approval notifications go to the recording sink (approval-notify.ts).
              serviceBindings: {
                CHECKOUT_SIM: 'checkout-sim',
                FLAKY_UPSTREAM: 'flaky-upstream',
                APPROVAL_NOTIFY_SINK: 'webhook-sink',
              },
              workers: [simAuxWorker(simScript), flakyUpstreamAuxWorker(flakyScript), webhookSink],
            },
          }),
        ],
        test: {
          name: 'bollard',
          // Two runtimes at a time, even on two cores: much of a file's time is waiting (deadlines,
          // stalls, a runtime starting), which the other file's work fills. Same for checkout-sim below.
          maxWorkers: 2,
          // A file's first call into the Worker imports it whole; on a loaded two-core machine that alone
          // can pass Vitest's 5 s default.
          testTimeout: 15_000,
          provide: fuzz,
          include: ['test/**/*.test.ts'],
          exclude: ['test/checkout-sim/**', 'test/e2e/**'],
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: './workers/checkout-sim/index.ts',
            wrangler: { configPath: './workers/checkout-sim/wrangler.toml' },
            // Webhook deliveries (the simulator's outbound fetch) go to a recording sink Worker.
            miniflare: {
              outboundService: 'webhook-sink',
              serviceBindings: { WEBHOOK_SINK: 'webhook-sink' },
              workers: [webhookSink],
            },
          }),
        ],
        test: {
          name: 'checkout-sim',
          maxWorkers: 2,
          testTimeout: 15_000,
          provide: fuzz,
          include: ['test/checkout-sim/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
