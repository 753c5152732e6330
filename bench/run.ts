import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SUMMARY_SOURCES, summarize } from './summary';

/**
 * `npm run bench [-- name...]`: runs every `bench/*.bench.ts` (or the named ones) one after another —
 * never in parallel, so they do not share the machine's two cores with each other — and ends with the
 * summary table (bench/summary.ts) whenever a bench it reads ran. `npm run bench -- summary` only prints
 * the summary of the latest results.
 */
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

const dir = import.meta.dirname;
const started = new Date();
const wanted = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
const summaryOnly = wanted.length > 0 && wanted.every((w) => w === 'summary');

if (names.length === 0 && !summaryOnly) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exitCode = 2;
}
for (const name of names) {
  console.log(`\n=== ${name}.bench.ts ===`);
  const mod = (await import(pathToFileURL(resolve(dir, `${name}.bench.ts`)).href)) as {
    default: () => Promise<void>;
  };
  try {
    await mod.default();
  } catch (err) {
    // One broken bench should not hide the others' numbers; the run still fails.
    console.error(`${name}.bench.ts failed:`, err);
    process.exitCode = 1;
  }
}
const sources: readonly string[] = SUMMARY_SOURCES;
if (summaryOnly || names.some((n) => sources.includes(n))) summarize(started);
