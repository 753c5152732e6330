// Builds the Worker's lazily loaded modules, each into one ES module in `workers/bollard/.build/`, which
// wrangler uploads beside the main module (`find_additional_modules` + the `[[rules]]` in wrangler.toml) and
// the main module loads with `import()` on first use (docs/operations.md, "Cold start"):
// - `agent-mcp.mjs`: the MCP server half of `/agent/mcp` (src/agents/gateway/mcp/server.ts: the MCP SDK,
//   @hono/mcp, the tools' zod schemas), loaded by src/agents/gateway/mcp/routes.ts on the first MCP request;
// - `operator.mjs`: the operator surfaces (src/operator/module.ts: the console and its browser assets, the
//   admin OpenAPI document, the doctor, status, metrics summary, the agents' and webhooks' admin routes, the
//   demo shop), loaded by src/operator/routes.ts on the first `/admin*` (or demo) request;
// - `jose.mjs`: the part of jose the hot paths use (src/http/jose-module.ts), loaded by src/http/jose.ts on
//   the first order token verified or receipt signed.
// Run by wrangler's `[build]` command before every deploy, `wrangler dev` and dry run (`--minify` there);
// the vitest pool loads the TypeScript sources instead.
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHUNKS = {
  'agent-mcp.mjs': 'src/agents/gateway/mcp/server.ts',
  'operator.mjs': 'src/operator/module.ts',
  'jose.mjs': 'src/http/jose-module.ts',
};

/**
 * In the modules that are themselves loaded on demand, `src/http/jose.ts` (which loads `.build/jose.mjs`
 * relative to the main module) is replaced by `jose-bundled.ts`: jose is bundled into them.
 */
const bundledJose = {
  name: 'bundled-jose',
  setup(build) {
    build.onResolve({ filter: /\/http\/jose$/ }, (args) => ({
      path: join(args.resolveDir, args.path.replace(/jose$/, 'jose-bundled.ts')),
    }));
  },
};

await Promise.all(
  Object.entries(CHUNKS).map(([name, entry]) =>
    esbuild.build({
      plugins: name === 'jose.mjs' ? [] : [bundledJose],
      entryPoints: [join(root, entry)],
      outfile: join(root, 'workers', 'bollard', '.build', name),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'neutral',
      // The same resolution as wrangler's own bundling for workerd.
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      minify: process.argv.includes('--minify') || process.env.BOLLARD_MINIFY === '1',
      // nodejs_compat provides the node built-ins at run time.
      external: ['cloudflare:*', 'node:*', ...builtinModules],
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
);
