import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Miniflare, type WorkerOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { type CpuMeter, workerdCpuMeter } from '../bench/cpu';
import { SIM_TEST_VARS, simAuxWorker } from '../test/support/sim-worker';
import { buildSimulator } from './build-sim';

/**
 * The benchmarks' topology (docs/benchmarks.md): Bollard, the simulator and a bare Hono Worker in ONE
 * Miniflare/workerd, each Worker behind a loopback socket of its own, no `wrangler dev` proxy anywhere.
 * Bollard reaches the simulator over loopback HTTP at the simulator's socket (`CHECKOUT_API_BASE`), the
 * same socket the load generator calls for the direct side, so direct and via-Bollard enter workerd the
 * same way and differ only by Bollard. A second Bollard entry with `DO_METER=on` shares the first one's
 * Durable Objects (same class, `scriptName`) and counts round trips per call without slowing the timed one.
 *
 * `tsx scripts/bench-topology.ts` starts it alone and prints the URLs, for poking at by hand.
 */
const ROOT = resolve(import.meta.dirname, '..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
const run = promisify(execFile);

export const WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/** `wrangler deploy --dry-run --outdir`: the Worker exactly as wrangler would upload it (nodejs_compat included). */
export async function wranglerBundle(config: string, outdir: string, minify = false): Promise<string> {
  const args = ['deploy', '--dry-run', '-c', config, '--outdir', outdir, ...(minify ? ['--minify'] : [])];
  await run(WRANGLER, args, { cwd: ROOT, env: { ...process.env, ...WRANGLER_ENV, CI: 'true' } });
  return join(outdir, 'index.js');
}

let bollardBundle: Promise<string> | undefined;
let bareBundle: Promise<string> | undefined;
let simBundle: Promise<string> | undefined;

/** Built once per process: every bench in one `npm run bench` runs the same bundles. */
export function bundles(): Promise<{ bollard: string; bare: string; sim: string }> {
  bollardBundle ??= wranglerBundle('wrangler.toml', join(ROOT, '.build/bench/bollard'));
  bareBundle ??= wranglerBundle('bench/bare-worker/wrangler.toml', join(ROOT, '.build/bench/bare'));
  simBundle ??= buildSimulator(join(ROOT, '.build/bench/checkout-sim/index.js'));
  return Promise.all([bollardBundle, bareBundle, simBundle]).then(([bollard, bare, sim]) => ({
    bollard,
    bare,
    sim,
  }));
}

/** A free loopback port (the simulator's must be known before workerd starts: Bollard's vars name it). */
export function freePort(): Promise<number> {
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

/**
 * Bollard's Miniflare options as `wrangler dev` derives them from wrangler.toml and .dev.vars (vars,
 * secrets, KV, Durable Objects, compatibility), running `script`.
 */
export function bollardWorker(script: string, name = 'bollard'): WorkerOptions {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, 'wrangler.toml'));
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(workerOptions.bindings ?? {})) if (typeof v === 'string') vars[k] = v;
  return {
    name,
    ...mainModule(script),
    compatibilityDate: workerOptions.compatibilityDate ?? '2026-04-26',
    compatibilityFlags: workerOptions.compatibilityFlags ?? [],
    bindings: vars,
    kvNamespaces: workerOptions.kvNamespaces ?? {},
    durableObjects: workerOptions.durableObjects ?? {},
  };
}

/**
 * A bundle as its ES modules, listed rather than found: given `scriptPath`, Miniflare scans the code
 * for imports and refuses the `import(...)` it finds inside Bollard's embedded browser scripts. The
 * additional modules wrangler wrote beside the main one (`.build/*.mjs`: the MCP server, the operator
 * surfaces) are listed too, so the main module's `import('./.build/…')` finds them.
 */
export function mainModule(script: string): Pick<WorkerOptions, 'modules' | 'modulesRoot'> {
  const root = dirname(script);
  const extra = join(root, '.build');
  const additional = existsSync(extra)
    ? readdirSync(extra)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => ({
          type: 'ESModule' as const,
          path: join(extra, f),
          contents: readFileSync(join(extra, f), 'utf8'),
        }))
    : [];
  return {
    modulesRoot: root,
    modules: [{ type: 'ESModule', path: script, contents: readFileSync(script, 'utf8') }, ...additional],
  };
}

/** A Worker behind its own loopback socket (port 0: any free one). */
export function onSocket(options: WorkerOptions, port = 0): WorkerOptions {
  return { ...options, unsafeDirectSockets: [{ host: '127.0.0.1', port }] };
}

/** Miniflare with stdout/stderr drained (kept for error reports), persisted to `persistRoot`. */
export function startMiniflare(
  workers: WorkerOptions[],
  persistRoot: string,
): { mf: Miniflare; output: () => string } {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    defaultPersistRoot: persistRoot,
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.on('data', keep);
      stderr.on('data', keep);
    },
    workers,
  });
  return { mf, output: () => output };
}

export interface TopologyOptions {
  /** Bollard vars on top of wrangler.toml and .dev.vars. */
  vars?: Record<string, string>;
  /** Simulator vars on top of the test defaults. */
  simVars?: Record<string, string>;
  /**
   * Another build of Bollard (a `wrangler deploy --dry-run --outdir` bundle, e.g. of an earlier commit) run
   * beside this one, with the same vars and objects of its own: before and after measured in one run.
   */
  baselineBundle?: string;
  /** Vars of the baseline on top of Bollard's (what its own wrangler.toml said differently). */
  baselineVars?: Record<string, string>;
}

export interface Topology {
  /** The simulator's socket: the direct side, and Bollard's `CHECKOUT_API_BASE`. */
  simUrl: string;
  /** Bollard, unmetered: the timed via side. */
  bollardUrl: string;
  /** Bollard with `DO_METER=on`, on the same Durable Objects: answers carry `X-Bollard-DO-Calls`. */
  meteredUrl: string;
  /** The baseline build of Bollard (`baselineBundle`), when one was given. */
  baselineUrl?: string;
  /**
   * A bare Hono Worker that reads the body and answers 200 (bench/bare-worker); `/forward/*` passes
   * through to the simulator untouched (the floor of any gateway here).
   */
  bareUrl: string;
  /** CPU charged to this topology's workerd process (all its Workers and objects) over a timed window. */
  cpu: CpuMeter;
  /** The last of workerd's output, for error reports. */
  output(): string;
  dispose(): Promise<void>;
}

const strip = (u: URL) => u.toString().replace(/\/$/, '');

export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const built = await bundles();
  const persistRoot = mkdtempSync(join(tmpdir(), 'bollard-bench-'));
  const simPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  const bollard = bollardWorker(built.bollard);
  const vars = { ...bollard.bindings, CHECKOUT_API_BASE: simUrl, ...options.vars };
  // The metered entry binds the first one's classes, so both see the same agents, inbox and governor.
  const sharedObjects: Record<string, { className: string; scriptName: string; useSQLite: boolean }> = {};
  for (const [binding, designator] of Object.entries(bollard.durableObjects ?? {})) {
    const className =
      typeof designator === 'string'
        ? designator
        : typeof designator === 'object' && designator !== null
          ? String(Reflect.get(designator, 'className'))
          : '';
    sharedObjects[binding] = { className, scriptName: 'bollard', useSQLite: true };
  }
  const sim = simAuxWorker(built.sim);
  const workers: WorkerOptions[] = [
    onSocket({ ...bollard, bindings: vars }),
    onSocket({
      ...bollard,
      name: 'bollard-metered',
      bindings: { ...vars, DO_METER: 'on' },
      durableObjects: sharedObjects,
    }),
    onSocket({ ...sim, bindings: { ...SIM_TEST_VARS, SIM_TIME_SCALE: '1', ...options.simVars } }, simPort),
    onSocket({
      name: 'bare',
      ...mainModule(built.bare),
      compatibilityDate: '2026-04-26',
      bindings: { FORWARD_TO: simUrl },
    }),
  ];
  if (options.baselineBundle) {
    // Its own Durable Objects (same classes, its own script): nothing shared with the build under test.
    const baseline = bollardWorker(options.baselineBundle, 'bollard-baseline');
    workers.push(onSocket({ ...baseline, bindings: { ...vars, ...options.baselineVars } }));
  }
  const { mf, output } = startMiniflare(workers, persistRoot);
  const dispose = async () => {
    try {
      await mf.dispose();
    } finally {
      // Also when workerd never started (dispose then throws too).
      rmSync(persistRoot, { recursive: true, force: true });
    }
  };
  try {
    await mf.ready;
    const topology: Topology = {
      simUrl,
      bollardUrl: strip(await mf.unsafeGetDirectURL('bollard')),
      meteredUrl: strip(await mf.unsafeGetDirectURL('bollard-metered')),
      bareUrl: strip(await mf.unsafeGetDirectURL('bare')),
      ...(options.baselineBundle
        ? { baselineUrl: strip(await mf.unsafeGetDirectURL('bollard-baseline')) }
        : {}),
      cpu: workerdCpuMeter(),
      output,
      dispose,
    };
    for (const url of [topology.simUrl, topology.bollardUrl, topology.meteredUrl]) {
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${url}/healthz answered ${res.status}:\n${output()}`);
    }
    return topology;
  } catch (err) {
    await dispose();
    throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  Object.assign(process.env, WRANGLER_ENV);
  const t = await startTopology();
  console.log(
    `simulator ${t.simUrl}\nbollard   ${t.bollardUrl}\nmetered   ${t.meteredUrl}\nbare      ${t.bareUrl}`,
  );
  console.log('Ctrl-C to stop');
  const stop = () => void t.dispose().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
