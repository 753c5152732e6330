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

/** Bollard's Worker in workerd, beside the simulator, the flaky upstream and the webhook sink. */
const bollardWorker = () =>
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
  });

/**
 * Files that measure the whole isolate or the whole store, so each gets a runtime of its own: the isolate's
 * rate gate lease and metrics aggregate, empty-store and global counts, the doctor's view of everything.
 * Every other file shares one runtime per worker (`isolate: false`), which saves importing the Worker once
 * per file (about 1.6 s each); those files key what they assert on ids of their own. `reset()` cannot stand
 * in for a fresh runtime: it clears Durable Objects but not KV or module memory.
 */
const OWN_RUNTIME = [
  'test/http/do-meter.test.ts', // the isolate's one rate gate lease
  'test/metrics/metrics.test.ts', // the isolate's metrics aggregate
  'test/oauth/token-source-bounds.test.ts', // the isolate's token memory
  'test/admin/doctor.test.ts', // every check over the whole store
  'test/agents/admin/admin.test.ts',
  'test/agents/admin/audit.test.ts', // the global export against a verification of everything
  'test/agents/admin/storage-status.test.ts', // sizes of the whole directory and index
  'test/agents/objects/retention.test.ts', // prunes the global index
  'test/agents/proof/archive.test.ts', // archives every chain
  'test/chaos/upstream-faults.test.ts', // lifts the account budget for its run
  'test/agents/gateway/budgets.test.ts', // lifts the account's write rate, which the isolate's lease caches
  'test/fuzz/admin.fuzz.test.ts',
  // Generated from schemas whose OpenAPI metadata sits in zod's global registry, so the modules a runtime
  // has already loaded could change the document it writes.
  'test/storefront/openapi.test.ts',
  'test/webhooks/receiver.test.ts', // an empty store after a refused delivery
];

/**
 * A hang guard, not a speed check (speed is measured in bench/). A file's first call into the Worker
 * imports it whole, which on a loaded two-core machine can pass Vitest's 5 s default; and the agents' setup
 * helpers retry a 503 after its `Retry-After` (test/agents/helpers.ts, `adminSetup`), each attempt bounded
 * by the product's 5 s object deadline. A test that takes 3 s took 12.4 s in one clean run, near the 15 s
 * this used to be.
 */
const TEST_TIMEOUT_MS = 30_000;

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [bollardWorker()],
        test: {
          name: 'bollard',
          isolate: false,
          setupFiles: ['./test/support/fresh-runtime.ts'],
          // Three runtimes at a time, even on two cores: much of a file's time is waiting (deadlines,
          // stalls, a simulated upstream's latency), which the other files' work fills (98 s for the three
          // projects here, 117 s with two). The workerd projects share these workers: Vitest groups
          // projects with equal maxWorkers into one pool, so keep the three values equal.
          maxWorkers: 3,
          testTimeout: TEST_TIMEOUT_MS,
          provide: fuzz,
          include: ['test/**/*.test.ts'],
          exclude: ['test/checkout-sim/**', 'test/e2e/**', ...OWN_RUNTIME],
        },
      },
      {
        plugins: [bollardWorker()],
        test: {
          name: 'bollard-isolated',
          maxWorkers: 3,
          testTimeout: TEST_TIMEOUT_MS,
          provide: fuzz,
          include: OWN_RUNTIME,
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
          isolate: false,
          setupFiles: ['./test/checkout-sim/support/fresh-sim.ts'],
          maxWorkers: 3,
          testTimeout: TEST_TIMEOUT_MS,
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
