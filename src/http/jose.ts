/**
 * jose, loaded on first use per isolate. In the deployed Worker it is `./.build/jose.mjs` (built from
 * jose-module.ts by `scripts/build-chunks.mjs`, the `[build]` command, and uploaded beside the main module
 * by `find_additional_modules`); where the code runs unbundled (the vitest pool) it is the source module. A
 * specifier in a variable is left alone by the bundler, so the main module does not contain jose.
 */
const DEPLOYED_MODULE = './.build/jose.mjs';
const SOURCE_MODULE = './jose-module.ts';

export type Jose = typeof import('./jose-module');

let loading: Promise<Jose> | null = null;

export function loadJose(): Promise<Jose> {
  loading ??= (import(/* @vite-ignore */ DEPLOYED_MODULE) as Promise<Jose>).catch(
    () => import(/* @vite-ignore */ SOURCE_MODULE) as Promise<Jose>,
  );
  // A failed load is not kept: the next call tries again.
  loading.catch(() => {
    loading = null;
  });
  return loading;
}
