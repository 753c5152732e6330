import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundles, freePort, onSocket, startMiniflare, WRANGLER_ENV } from '../scripts/bench-topology';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { SIM_TEST_VARS, simAuxWorker } from '../test/support/sim-worker';
import { seedPayment } from './fixtures';
import { printHotPath, runHotPath } from './hot-path';
import { writeResult } from './lib';

/**
 * What `wrangler dev` itself costs, apart from any Worker: the simulator's `GET /payments/{id}` through
 * `wrangler dev` (its proxy Worker in front of the user Worker) vs the same simulator in Miniflare behind
 * a loopback socket of its own (the hot-path benches' topology), same run, interleaved rounds. The older
 * benches put this proxy on one side only; this is the size of the error that made.
 */
const ROOT = resolve(import.meta.dirname, '..');
const RAISED = { SIM_READS_PER_SECOND: '100000', SIM_WRITES_PER_SECOND: '100000', SIM_TIME_SCALE: '1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startWranglerDev(
  port: number,
  persist: string,
): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  const child = spawn(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '-c',
      'workers/checkout-sim/wrangler.toml',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort()),
      '--persist-to',
      persist,
      ...Object.entries(RAISED).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ],
    {
      cwd: ROOT,
      // Its own process group, so stopping it also stops the workerd it starts.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...WRANGLER_ENV, CI: 'true', NO_COLOR: '1' },
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

async function waitHealthy(url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not become healthy:\n${output()}`);
}

function stop(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return Promise.resolve();
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 3_000);
  return exited.finally(() => clearTimeout(timer));
}

export default async function run(): Promise<void> {
  const built = await bundles();
  const dir = mkdtempSync(join(tmpdir(), 'bollard-devproxy-'));
  const { mf } = startMiniflare(
    [onSocket({ ...simAuxWorker(built.sim), bindings: { ...SIM_TEST_VARS, ...RAISED } })],
    join(dir, 'miniflare'),
  );
  const devPort = await freePort();
  const dev = await startWranglerDev(devPort, join(dir, 'wrangler'));
  try {
    await mf.ready;
    const mfUrl = (await mf.unsafeGetDirectURL('checkout-sim')).toString().replace(/\/$/, '');
    const devUrl = `http://127.0.0.1:${devPort}`;
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
      await stop(dev.child);
      await mf.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
