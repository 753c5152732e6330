import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort, WRANGLER_ENV } from '../scripts/bench-topology';

/** A `wrangler dev` process for the benches that measure local dev (devproxy, npmstart). */

const ROOT = resolve(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WranglerDev {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `wrangler dev` with `args` (config, vars) on a port of its own, persisting to `persist`. */
export async function startWranglerDev(args: string[], persist: string): Promise<WranglerDev> {
  let output = '';
  const port = await freePort();
  const child = spawn(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      ...args,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort()),
      '--persist-to',
      persist,
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
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** `--var NAME:value` for each var. */
export function varArgs(vars: Record<string, string>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
}

/** Resolves once `url/healthz` answers 2xx (90 s at most). */
export async function waitHealthy(url: string, output: () => string): Promise<void> {
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

/** Stops the process group (SIGTERM, then SIGKILL after 3 s). */
export function stopWranglerDev(child: ChildProcess): Promise<void> {
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
