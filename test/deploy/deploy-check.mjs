#!/usr/bin/env node
// `npm run deploy:check` (part of `npm test`): the deploy path, offline.
//
// 1. Every binding and var of wrangler.toml's top level exists in each environment. Wrangler does not
//    inherit vars or bindings into `[env.*]` (https://developers.cloudflare.com/workers/wrangler/environments/),
//    so a binding added at the top level and forgotten in `[env.production]` would deploy a Worker whose
//    `env.X` is undefined. Checked on the raw config (wrangler's own reader), with a self-test first.
// 2. `wrangler deploy --dry-run --env <env> --outdir <tmp>` builds each environment as it would be uploaded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENVS = ['staging', 'production'];
const OFFLINE = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  // No banner, hence no update check against the registry.
  WRANGLER_HIDE_BANNER: 'true',
};
Object.assign(process.env, OFFLINE);

/** Top-level keys that are not bindings, or that environments inherit (wrangler's config docs). */
const NOT_BINDINGS = new Set([
  'name',
  'main',
  'compatibility_date',
  'compatibility_flags',
  'dev',
  'env',
  'migrations',
  'observability',
  'workers_dev',
  'routes',
  'route',
  'build',
  'rules',
  'no_bundle',
  'minify',
  'keep_vars',
  'limits',
  'placement',
  'triggers',
  'assets',
  'site',
  'tsconfig',
  'upload_source_maps',
  'logpush',
  'preview_urls',
  'account_id',
  '$schema',
]);

/** The names a binding entry goes by (`binding` for most kinds, `name` for Durable Objects and rate limits). */
function nameOf(entry) {
  if (entry === null || typeof entry !== 'object') return null;
  return entry.binding ?? entry.name ?? entry.queue ?? null;
}

/** `{ kind: Set<name> }` for every binding kind of a config section, vars included. */
export function bindingsOf(section) {
  const out = new Map();
  const add = (kind, names) => {
    const set = out.get(kind) ?? new Set();
    for (const n of names) if (n !== null) set.add(n);
    out.set(kind, set);
  };
  for (const [key, value] of Object.entries(section ?? {})) {
    if (NOT_BINDINGS.has(key)) continue;
    if (key === 'vars' || key === 'define') add(key, Object.keys(value ?? {}));
    else if (key === 'durable_objects') add('durable_objects.bindings', (value?.bindings ?? []).map(nameOf));
    else if (key === 'queues') {
      add('queues.producers', (value?.producers ?? []).map(nameOf));
      add(
        'queues.consumers',
        (value?.consumers ?? []).map((c) => c?.queue ?? null),
      );
    } else if (Array.isArray(value)) add(key, value.map(nameOf));
    else if (value && typeof value === 'object') add(key, [nameOf(value) ?? key]);
  }
  return out;
}

/** Problems with one environment against the top level: missing bindings, and production safety. */
export function checkEnv(raw, envName) {
  const problems = [];
  const env = raw.env?.[envName];
  if (!env) return [`[env.${envName}] is missing`];
  const top = bindingsOf(raw);
  const own = bindingsOf(env);
  for (const [kind, names] of top) {
    const have = own.get(kind) ?? new Set();
    for (const n of names)
      if (!have.has(n)) problems.push(`${kind} "${n}" is at the top level but not in [env.${envName}]`);
  }
  const topDo = new Map((raw.durable_objects?.bindings ?? []).map((b) => [b.name, b.class_name]));
  for (const b of env.durable_objects?.bindings ?? []) {
    if (topDo.has(b.name) && topDo.get(b.name) !== b.class_name)
      problems.push(
        `durable object "${b.name}" is ${b.class_name} in [env.${envName}], ${topDo.get(b.name)} at the top level`,
      );
  }
  if (env.observability?.enabled !== true)
    problems.push(`[env.${envName}.observability] enabled is not true`);
  const dataset = (env.analytics_engine_datasets ?? []).find((d) => d.binding === 'METRICS')?.dataset;
  if (dataset !== undefined && env.vars?.METRICS_DATASET !== dataset)
    problems.push(
      `[env.${envName}] METRICS_DATASET (${env.vars?.METRICS_DATASET}) is not the METRICS dataset (${dataset})`,
    );
  if (envName === 'production') {
    if (env.vars?.DEMO_ENABLED === 'true') problems.push('[env.production] DEMO_ENABLED is "true"');
    if (env.vars?.STOREFRONT_ORDER_MODE === 'open')
      problems.push('[env.production] STOREFRONT_ORDER_MODE is "open"');
    if (env.vars?.CHECKOUT_ENVIRONMENT !== 'production')
      problems.push('[env.production] CHECKOUT_ENVIRONMENT is not "production"');
  }
  return problems;
}

/** The checker must catch what it exists for: a binding added at the top level only. */
function selfTest() {
  const raw = {
    vars: { A: '1' },
    kv_namespaces: [{ binding: 'KV', id: 'x' }],
    durable_objects: { bindings: [{ name: 'DO', class_name: 'C' }] },
    ratelimits: [{ name: 'RL', namespace_id: '1' }],
    env: {
      x: {
        vars: { A: '2' },
        kv_namespaces: [{ binding: 'KV', id: 'y' }],
        durable_objects: { bindings: [{ name: 'DO', class_name: 'C' }] },
        ratelimits: [{ name: 'RL', namespace_id: '2' }],
        observability: { enabled: true },
      },
    },
  };
  const clean = checkEnv(raw, 'x');
  raw.analytics_engine_datasets = [{ binding: 'NEW', dataset: 'd' }];
  raw.vars.B = 'new';
  const dirty = checkEnv(raw, 'x');
  if (clean.length !== 0 || dirty.length !== 2)
    throw new Error(`deploy-check self-test failed: ${JSON.stringify({ clean, dirty })}`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: process.env, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

async function main() {
  selfTest();
  // `--config <file>` checks another file's environments (and skips the dry runs): for trying the check.
  const at = process.argv.indexOf('--config');
  const config = at > 0 ? process.argv[at + 1] : undefined;
  const { experimental_readRawConfig: readRawConfig } = await import('wrangler');
  const { rawConfig } = readRawConfig({ config: config ?? join(ROOT, 'wrangler.toml') });
  let failed = false;
  for (const envName of ENVS) {
    const problems = checkEnv(rawConfig, envName);
    for (const p of problems) console.error(`✗ ${p}`);
    if (problems.length === 0) console.log(`✓ [env.${envName}] has every top-level binding and var`);
    failed ||= problems.length > 0;
    const placeholders = Object.entries(rawConfig.env?.[envName]?.vars ?? {})
      .filter(([, v]) => String(v).includes('REPLACE'))
      .map(([k]) => k);
    if (placeholders.length > 0)
      console.log(
        `  note: [env.${envName}] still has REPLACE_ values to fill in before a real deploy: ${placeholders.join(', ')}`,
      );
  }
  if (failed) process.exit(1);
  if (config) return;

  const outdir = mkdtempSync(join(tmpdir(), 'bollard-deploy-check-'));
  try {
    for (const envName of ENVS) {
      const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
      const r = run(wrangler, ['deploy', '--dry-run', '--env', envName, '--outdir', join(outdir, envName)]);
      if (!r.ok) {
        console.error(r.out);
        console.error(`✗ wrangler deploy --dry-run --env ${envName} failed`);
        process.exit(1);
      }
      const size = /Total Upload: ([^\n]+)/.exec(r.out)?.[1] ?? '?';
      console.log(`✓ wrangler deploy --dry-run --env ${envName} (${size.trim()})`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

await main();
