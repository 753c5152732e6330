import * as jose from './jose-module';

/**
 * `loadJose` as the lazily loaded modules get it (`scripts/build-chunks.mjs` puts this file in place of
 * jose.ts when it bundles `operator.mjs` and `agent-mcp.mjs`): they are loaded on demand already, so jose
 * is bundled into them. jose.ts's relative `./.build/jose.mjs` would resolve against their own place, in
 * `.build/`, and miss.
 */
export type Jose = typeof jose;

export function loadJose(): Promise<Jose> {
  return Promise.resolve(jose);
}
