import { lazyModule } from './lazy-module';

/**
 * jose, loaded on first use per isolate. In the deployed Worker it is `./.build/jose.mjs` (built from
 * jose-module.ts by `scripts/build-chunks.mjs`, the `[build]` command, and uploaded beside the main module
 * by `find_additional_modules`); where the code runs unbundled (the vitest pool) it is the source module.
 * The lazily loaded modules themselves get jose-bundled.ts in place of this file.
 */
const DEPLOYED_MODULE = './.build/jose.mjs';
const SOURCE_MODULE = './jose-module.ts';

export type Jose = typeof import('./jose-module');

export const loadJose = lazyModule<Jose>(
  () => import(/* @vite-ignore */ DEPLOYED_MODULE),
  () => import(/* @vite-ignore */ SOURCE_MODULE),
);
