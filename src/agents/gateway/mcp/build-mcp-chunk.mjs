// Builds the MCP server half of `/agent/mcp` (src/agents/gateway/mcp/server.ts and what it imports: the MCP SDK,
// @hono/mcp, the tools' zod schemas) into one ES module, `workers/bollard/.build/agent-mcp.mjs`, which
// wrangler uploads beside the main module (`find_additional_modules` + the `[[rules]]` in wrangler.toml)
// and `routes.ts` beside it loads with `import()` on the first MCP request. Run by wrangler's `[build]` command
// before every deploy, `wrangler dev` and dry run; the vitest pool loads the TypeScript source instead.
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const outfile = join(root, 'workers', 'bollard', '.build', 'agent-mcp.mjs');

await esbuild.build({
  entryPoints: [join(root, 'src', 'agents', 'gateway', 'mcp', 'server.ts')],
  outfile,
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
});
