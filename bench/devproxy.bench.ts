import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundles, onSocket, startMiniflare } from '../scripts/bench-topology';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { SIM_TEST_VARS, simAuxWorker } from '../test/support/sim-worker';
import { seedPayment } from './fixtures';
import { printHotPath, runHotPath } from './hot-path';
import { writeResult } from './lib';
import { startWranglerDev, stopWranglerDev, varArgs, waitHealthy } from './wrangler-dev';

/**
 * What `wrangler dev` itself costs, apart from any Worker: the simulator's `GET /payments/{id}` through
 * `wrangler dev` (its proxy Worker in front of the user Worker) vs the same simulator in Miniflare behind
 * a loopback socket of its own (the hot-path benches' topology), same run, interleaved rounds. The older
 * benches put this proxy on one side only; this is the size of the error that made.
 */
const RAISED = { SIM_READS_PER_SECOND: '100000', SIM_WRITES_PER_SECOND: '100000', SIM_TIME_SCALE: '1' };

export default async function run(): Promise<void> {
  const built = await bundles();
  const dir = mkdtempSync(join(tmpdir(), 'bollard-devproxy-'));
  const { mf } = startMiniflare(
    [onSocket({ ...simAuxWorker(built.sim), bindings: { ...SIM_TEST_VARS, ...RAISED } })],
    join(dir, 'miniflare'),
  );
  const dev = await startWranglerDev(
    ['-c', 'workers/checkout-sim/wrangler.toml', ...varArgs(RAISED)],
    join(dir, 'wrangler'),
  );
  try {
    await mf.ready;
    const mfUrl = (await mf.unsafeGetDirectURL('checkout-sim')).toString().replace(/\/$/, '');
    const devUrl = dev.url;
    await waitHealthy(devUrl, dev.output);
    const ids = new Map([
      [mfUrl, await seedPayment(mfUrl, 'devproxy-bench')],
      [devUrl, await seedPayment(devUrl, 'devproxy-bench')],
    ]);
    const read = (base: string) =>
      fetch(`${base}/payments/${ids.get(base)}`, {
        headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}` },
      });
    const result = await runHotPath(
      {
        surface: 'dev proxy (simulator GET /payments/{id})',
        direct: async () => {
          const res = await read(mfUrl);
          await res.arrayBuffer();
          return res.status === 200;
        },
        via: read,
        status: 200,
        target: {},
      },
      { bollardUrl: devUrl },
    );
    printHotPath('Simulator via wrangler dev (via) vs via its own Miniflare socket (direct)', result);
    writeResult('devproxy', result);
  } finally {
    try {
      await stopWranglerDev(dev.child);
      await mf.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
