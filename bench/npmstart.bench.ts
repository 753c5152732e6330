import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/bench-topology';
import { startStack } from '../scripts/stack';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import {
  createAgent,
  createSessionDirect,
  createSessionVia,
  OPEN_STOREFRONT_VARS,
  SIM_LIMITS_OUT_OF_REACH,
  seedPayment,
  storefrontSessionBody,
  upstreamSessionBody,
} from './fixtures';
import { DEFAULT_PLAN, type HotPathResult, printHotPath, runHotPath, scaled } from './hot-path';
import { writeResult } from './lib';
import { deliverTo, delivery } from './webhook-delivery';
import { startWranglerDev, stopWranglerDev, varArgs, waitHealthy } from './wrangler-dev';

/**
 * The hot paths under `npm start`'s topology: real `wrangler dev` processes (scripts/stack.ts: the
 * simulator behind its network proxy, then Bollard), against the bare Worker (bench/bare-worker) under
 * `wrangler dev` too, forwarding `/forward/*` to the same simulator address. Both sides pay the same dev
 * proxies and the same hop to the simulator, so via − floor is what Bollard adds in local dev. Agent read
 * and storefront session create at concurrency 1, interleaved rounds, throttles out of reach (their
 * round trips still happen). Then webhook deliveries at concurrency 1 and 32 against the bare Worker's
 * POST that reads its body (the issue's 0.7× target is on deliveries/s). No metered side: `DO_METER` needs a second Bollard on the same objects, which `wrangler dev` has
 * not.
 */

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bollard-npmstart-'));
  const stack = await startStack({
    simPort: await freePort(),
    bollardPort: await freePort(),
    simVars: SIM_LIMITS_OUT_OF_REACH,
    vars: OPEN_STOREFRONT_VARS,
    clientLimitPerMinute: 100_000_000,
  });
  const bare = await startWranglerDev(
    ['-c', 'bench/bare-worker/wrangler.toml', ...varArgs({ FORWARD_TO: stack.simUrl })],
    join(dir, 'bare'),
  );
  try {
    await waitHealthy(bare.url, bare.output);
    const id = await seedPayment(stack.simUrl, 'npmstart-bench');
    const key = await createAgent(stack.bollardUrl, 'npmstart reader');
    const read = async (base: string) => {
      const res = await fetch(`${base}/payments/${id}`, {
        headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, accept: 'application/json' },
      });
      await res.arrayBuffer();
      return res.status === 200;
    };
    // Fifteen short rounds rather than five long ones, for the same time: on a shared machine the drift of
    // a few seconds (neighbours, a `wrangler dev` process's own work) moved five-round medians by ±1 ms.
    const plan = { ...DEFAULT_PLAN, concurrency: [1], rounds: 15, durationMs: () => scaled(700) };
    const results: HotPathResult[] = [];
    results.push(
      await runHotPath(
        {
          surface: 'agent gateway read (npm start)',
          direct: () => read(stack.simUrl),
          floor: () => read(`${bare.url}/forward`),
          via: (base) =>
            fetch(`${base}/agent/v1/payments/${id}`, {
              headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
            }),
          status: 200,
          target: {},
        },
        { bollardUrl: stack.bollardUrl },
        plan,
      ),
    );
    printHotPath(
      'npm start: GET /agent/v1/payments/{id} vs the bare Worker forwarding',
      results[0] as HotPathResult,
    );

    const directBody = upstreamSessionBody('BENCH');
    const create = async (base: string) => {
      const res = await createSessionDirect(base, directBody);
      await res.arrayBuffer();
      return res.status === 201;
    };
    const viaBody = storefrontSessionBody('BENCH');
    results.push(
      await runHotPath(
        {
          surface: 'storefront create-session (npm start)',
          direct: () => create(stack.simUrl),
          floor: () => create(`${bare.url}/forward`),
          via: (base) => createSessionVia(base, viaBody, '198.51.100.1'),
          status: 201,
          target: {},
        },
        { bollardUrl: stack.bollardUrl },
        plan,
      ),
    );
    printHotPath(
      'npm start: POST /v1/payment-sessions vs the bare Worker forwarding',
      results[1] as HotPathResult,
    );
    results.push(
      await runHotPath(
        {
          surface: 'webhook delivery (npm start)',
          direct: () => deliverTo(`${bare.url}/`),
          via: (base) => fetch(`${base}/webhooks/checkout`, delivery()),
          status: 200,
          target: { rpsRatio: 0.7 },
        },
        { bollardUrl: stack.bollardUrl },
        DEFAULT_PLAN,
      ),
    );
    printHotPath('npm start: POST /webhooks/checkout vs the bare Worker POST', results[2] as HotPathResult);
    writeResult('npmstart', results);
  } finally {
    try {
      await stopWranglerDev(bare.child);
      await stack.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
