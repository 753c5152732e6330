import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTopology, WRANGLER_ENV } from '../scripts/bench-topology';
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
import { percentile, printTable, round, writeResult } from './lib';

/**
 * Before and after in one run: `BEFORE=<commit> npm run bench -- before-after` builds that commit's Bollard
 * (a git worktree, `wrangler deploy --dry-run`) and runs it beside this tree's, each with Durable Objects of
 * its own, in one workerd with the simulator and the bare Worker (scripts/bench-topology.ts). The agent read
 * and the storefront session create go to the after, before and floor sides in blocks of 10 sequential
 * calls, the sides rotating, so drift lands on all three alike. Separate runs of one build moved by more
 * than a change's effect on this machine (docs/benchmarks.md, "Agent outcomes carried on the next begin").
 * Without `BEFORE` it says how to run it and measures nothing.
 */
const ROOT = resolve(import.meta.dirname, '..');
const BLOCK = 10;
const WARMUP_BLOCKS = 20;

type Side = 'after' | 'before' | 'floor';

export default async function run(): Promise<void> {
  const ref = process.env.BEFORE;
  if (!ref) {
    console.log('before-after: set BEFORE=<commit> (e.g. BEFORE=HEAD~1) to compare this tree with it');
    return;
  }
  const tree = mkdtempSync(join(tmpdir(), 'bollard-before-'));
  const gitTree = join(tree, 'src');
  execFileSync('git', ['worktree', 'add', '--detach', gitTree, ref], { cwd: ROOT, stdio: 'ignore' });
  try {
    const bundle = buildBefore(gitTree, join(tree, 'bundle'));
    await measureBoth(ref, bundle);
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', gitTree], { cwd: ROOT, stdio: 'ignore' });
    rmSync(tree, { recursive: true, force: true });
  }
}

/** `wrangler deploy --dry-run` in the worktree, with this tree's dependencies and dev vars. */
function buildBefore(gitTree: string, outdir: string): string {
  symlinkSync(join(ROOT, 'node_modules'), join(gitTree, 'node_modules'));
  if (existsSync(join(ROOT, '.dev.vars'))) copyFileSync(join(ROOT, '.dev.vars'), join(gitTree, '.dev.vars'));
  execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: gitTree,
    stdio: 'ignore',
    env: { ...process.env, ...WRANGLER_ENV, CI: 'true' },
  });
  return join(outdir, 'index.js');
}

async function measureBoth(ref: string, baselineBundle: string): Promise<void> {
  const topology = await startTopology({
    baselineBundle,
    vars: OPEN_STOREFRONT_VARS,
    simVars: SIM_LIMITS_OUT_OF_REACH,
  });
  try {
    const beforeUrl = topology.baselineUrl;
    if (!beforeUrl) throw new Error('the topology started no baseline');
    const id = await seedPayment(topology.simUrl, 'before-after');
    const keys = {
      after: await createAgent(topology.bollardUrl, 'before-after reader'),
      before: await createAgent(beforeUrl, 'before-after reader'),
    };
    const read = (url: string, auth: string) => () =>
      timed(fetch(url, { headers: { authorization: auth, accept: 'application/json' } }), 200);
    const agentRead: Record<Side, () => Promise<number>> = {
      after: read(`${topology.bollardUrl}/agent/v1/payments/${id}`, `Bearer ${keys.after}`),
      before: read(`${beforeUrl}/agent/v1/payments/${id}`, `Bearer ${keys.before}`),
      floor: read(`${topology.bareUrl}/forward/payments/${id}`, `Bearer ${DEV_CREDENTIALS.secretKey}`),
    };
    const viaBody = storefrontSessionBody('BENCH');
    const directBody = upstreamSessionBody('BENCH');
    const session: Record<Side, () => Promise<number>> = {
      after: () => timed(createSessionVia(topology.bollardUrl, viaBody, '198.51.100.1'), 201),
      before: () => timed(createSessionVia(beforeUrl, viaBody, '198.51.100.1'), 201),
      floor: () => timed(createSessionDirect(`${topology.bareUrl}/forward`, directBody), 201),
    };
    const rows = [
      { path: 'agent read', ...(await rotate(agentRead)) },
      { path: 'storefront session create', ...(await rotate(session)) },
    ];
    printTable(`This tree (after) and ${ref} (before), p50 ms over the floor, concurrency 1`, rows);
    writeResult('before-after', { before: ref, rows });
  } finally {
    await topology.dispose();
  }
}

/** One call's wall time in ms; throws on another status (a side that fails is not measured). */
async function timed(request: Promise<Response>, status: number): Promise<number> {
  const started = performance.now();
  const res = await request;
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`answered ${res.status}, not ${status}`);
  return performance.now() - started;
}

/** Blocks of `BLOCK` calls per side, the order rotating each round; p50 per side and over the floor. */
async function rotate(sides: Record<Side, () => Promise<number>>): Promise<Record<string, number>> {
  const order: Side[] = ['after', 'before', 'floor'];
  for (let i = 0; i < WARMUP_BLOCKS * BLOCK; i++) for (const side of order) await sides[side]();
  const times: Record<Side, number[]> = { after: [], before: [], floor: [] };
  // 150 rounds: 1,500 calls per side (BENCH_SCALE scales it, as it scales the other benches' durations).
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  const rounds = Math.max(3, Math.round(150 * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  for (let r = 0; r < rounds; r++) {
    const turn = [...order.slice(r % 3), ...order.slice(0, r % 3)];
    for (const side of turn) for (let k = 0; k < BLOCK; k++) times[side].push(await sides[side]());
  }
  const p50 = (side: Side) =>
    percentile(
      [...times[side]].sort((a, b) => a - b),
      50,
    );
  return {
    calls: rounds * BLOCK,
    'p50 floor': round(p50('floor')),
    'p50 before': round(p50('before')),
    'p50 after': round(p50('after')),
    'before - floor': round(p50('before') - p50('floor')),
    'after - floor': round(p50('after') - p50('floor')),
  };
}
