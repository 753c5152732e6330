import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type SimNetwork, startSimNetwork } from './sim-network';

/**
 * Starts real `wrangler dev` processes on loopback: the simulator and Bollard pointed at it. Used by
 * `npm start`, the end-to-end tests and the benchmarks, so all three run the same thing. Clients reach
 * the simulator through a loopback proxy (`sim-network.ts`) on `simPort`, which turns the simulator's
 * dropped connections into real cut connections; the simulator's own `wrangler dev` listens on a free
 * internal port.
 */
export interface StackOptions {
  /** Where the simulator is reached (the proxy in front of it). */
  simPort: number;
  bollardPort: number;
  /** Extra Bollard vars (`--var NAME:value`). */
  vars?: Record<string, string>;
  /** Extra simulator vars. */
  simVars?: Record<string, string>;
  /**
   * Bollard's per-client rate limit (the `STOREFRONT_CLIENT_LIMITER` binding's requests per 60 s). The
   * binding's limit is static config, so a load test that must not be throttled per client runs Bollard
   * from a generated copy of wrangler.toml with this limit instead.
   */
  clientLimitPerMinute?: number;
  /** Print the processes' output (npm start); otherwise it is kept for error reports only. */
  inheritOutput?: boolean;
  /** Every chunk each process prints, as it comes (e.g. a test scanning Bollard's logs for secrets). */
  onOutput?: (name: 'checkout-sim' | 'bollard', chunk: string) => void;
  /** Skip Bollard (benchmarks of the simulator alone). */
  simOnly?: boolean;
  readyTimeoutMs?: number;
}

export interface Stack {
  /** The simulator through its network proxy: what Bollard, tests and benchmarks call. */
  simUrl: string;
  /** The simulator's `wrangler dev` itself, without the proxy (drops arrive as cut bodies there). */
  simDirectUrl: string;
  bollardUrl: string;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

interface DevProcess {
  child: ChildProcess;
  output: () => string;
}

function startDev(
  name: 'checkout-sim' | 'bollard',
  args: string[],
  inherit: boolean,
  onOutput?: StackOptions['onOutput'],
): DevProcess {
  let output = '';
  const child = spawn(WRANGLER, ['dev', ...args], {
    cwd: ROOT,
    // A process group of its own, so stop() also ends the workerd it spawns.
    detached: true,
    stdio: inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      // No interactive hotkeys; keep output plain.
      CI: 'true',
      NO_COLOR: '1',
    },
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    onOutput?.(name, chunk.toString());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => {
    output += `\n[${name}] failed to start: ${err.message}`;
  });
  return { child, output: () => output };
}

/**
 * A free loopback port for the devtools inspector. A fixed one (e.g. port + 20000) can still be held in
 * TIME_WAIT by the previous stack on the same ports, and workerd then refuses to start.
 */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function varArgs(vars: Record<string, string> | undefined): string[] {
  return Object.entries(vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
}

async function waitHealthy(url: string, proc: DevProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`process exited early:\n${proc.output()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become healthy in time:\n${proc.output()}`);
}

async function kill(proc: DevProcess): Promise<void> {
  const pid = proc.child.pid;
  if (pid === undefined || proc.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => proc.child.once('exit', () => r()));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 3_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A copy of wrangler.toml beside it (so relative paths hold) whose top-level `STOREFRONT_CLIENT_LIMITER`
 * allows `perMinute` requests per client a minute. Removed when the stack stops.
 */
function raisedLimitConfig(perMinute: number): string {
  const source = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const raised = source.replace(
    /(\[\[ratelimits\]\]\s*\nname = "STOREFRONT_CLIENT_LIMITER"\s*\nnamespace_id = "[^"]*"\s*\nsimple = \{ limit = )\d+/,
    `$1${Math.floor(perMinute)}`,
  );
  if (raised === source) throw new Error('wrangler.toml has no top-level STOREFRONT_CLIENT_LIMITER to raise');
  const file = join(ROOT, `.wrangler-stack-${process.pid}-${Date.now()}.toml`);
  writeFileSync(file, raised);
  return file;
}

/**
 * Starts the simulator and (unless `simOnly`) Bollard; resolves once both answer `/healthz`. A port
 * `freePort` found free can be taken before wrangler binds it (by any process binding port 0, e.g. another
 * workerd starting), and wrangler then exits with "Address already in use": the stack is started again,
 * with fresh internal ports, up to three times in all.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(options);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('Address already in use')) throw err;
    }
  }
}

async function startStackOnce(options: StackOptions): Promise<Stack> {
  const { simPort, bollardPort } = options;
  const inherit = options.inheritOutput ?? false;
  // Each stack persists to its own fresh directory: concurrent stacks never share Durable Object files.
  const stateDir = mkdtempSync(join(tmpdir(), 'bollard-stack-'));
  const simUrl = `http://127.0.0.1:${simPort}`;
  const bollardUrl = `http://127.0.0.1:${bollardPort}`;
  const simDirectPort = await freePort();
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  const procs: DevProcess[] = [];
  const cleanups: Array<() => void> = [];
  let network: SimNetwork | undefined;
  const stop = async () => {
    await network?.close();
    await Promise.all(procs.map(kill));
    rmSync(stateDir, { recursive: true, force: true });
    for (const cleanup of cleanups) cleanup();
  };
  try {
    network = await startSimNetwork({ port: simPort, upstreamPort: simDirectPort });
    const sim = startDev(
      'checkout-sim',
      [
        '-c',
        'workers/checkout-sim/wrangler.toml',
        '--ip',
        '127.0.0.1',
        '--port',
        String(simDirectPort),
        '--inspector-port',
        String(await freePort()),
        '--persist-to',
        join(stateDir, 'sim'),
        ...varArgs(options.simVars),
      ],
      inherit,
      options.onOutput,
    );
    procs.push(sim);
    if (!options.simOnly) {
      const config =
        options.clientLimitPerMinute === undefined ? null : raisedLimitConfig(options.clientLimitPerMinute);
      if (config) cleanups.push(() => rmSync(config, { force: true }));
      const bollard = startDev(
        'bollard',
        [
          ...(config ? ['-c', config] : []),
          '--ip',
          '127.0.0.1',
          '--port',
          String(bollardPort),
          '--inspector-port',
          String(await freePort()),
          '--persist-to',
          join(stateDir, 'bollard'),
          // Receipts and archive heads name the URL this Bollard is reached at (BOLLARD_PUBLIC_URL).
          ...varArgs({ CHECKOUT_API_BASE: simUrl, BOLLARD_PUBLIC_URL: bollardUrl, ...options.vars }),
        ],
        inherit,
        options.onOutput,
      );
      procs.push(bollard);
      await Promise.all([waitHealthy(simUrl, sim, deadline), waitHealthy(bollardUrl, bollard, deadline)]);
    } else {
      await waitHealthy(simUrl, sim, deadline);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { simUrl, simDirectUrl: `http://127.0.0.1:${simDirectPort}`, bollardUrl, stop };
}
