import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { wranglerBundle } from '../scripts/bench-topology';
import { round } from './lib';

const ROOT = resolve(import.meta.dirname, '..');

export function gzipKiB(bytes: Buffer | string): number {
  return round(gzipSync(bytes, { level: 9 }).length / 1024);
}

/**
 * The Worker's main module as `wrangler deploy --dry-run --outdir dist --minify` produces it: the size
 * Cloudflare's limits and cold starts are about (the gzip figure is what the upload limit counts).
 */
export async function workerSize(): Promise<{ minifiedKiB: number; gzipKiB: number }> {
  const main = await wranglerBundle('wrangler.toml', resolve(ROOT, 'dist'), true);
  const bytes = readFileSync(main);
  return { minifiedKiB: round(bytes.length / 1024), gzipKiB: gzipKiB(bytes) };
}
