import type { CatalogEntry } from '../catalog';
import { tokenScopes } from './scopes';
import { refresherFor } from './stubs';
import { tokenUrlFor } from './token-endpoint';
import { KvTokenSource, TokenMemory } from './token-source';

// One memory per credential + scope set per isolate: module scope lives as long as the isolate does.
const MEMORIES = new Map<string, TokenMemory>();

/**
 * The isolate's token source for the configured OAuth client, requesting the least scopes `entries`
 * need (or `CHECKOUT_OAUTH_SCOPES` when set). Build one per request (cheap): the token itself is kept in
 * isolate memory shared by all of them, and `waitUntil` keeps background refreshes alive.
 */
export function oauthTokenSourceFromEnv(
  env: Env,
  entries: Iterable<CatalogEntry>,
  options: {
    waitUntil?: (promise: Promise<unknown>) => void;
    now?: () => number;
    /** A least set computed elsewhere (e.g. the active agents' grants); `CHECKOUT_OAUTH_SCOPES` still wins. */
    scopes?: readonly string[];
  } = {},
): KvTokenSource {
  const computed = options.scopes && options.scopes.length > 0 ? options.scopes.join(' ') : undefined;
  const scopes = tokenScopes(entries, env.CHECKOUT_OAUTH_SCOPES || computed);
  const clientId = env.CHECKOUT_OAUTH_CLIENT_ID;
  const memoryKey = `${clientId}\0${scopes.join(' ')}`;
  let memory = MEMORIES.get(memoryKey);
  if (!memory) {
    memory = new TokenMemory();
    MEMORIES.set(memoryKey, memory);
  }
  return new KvTokenSource({
    clientId,
    clientSecret: env.CHECKOUT_OAUTH_CLIENT_SECRET,
    scopes,
    tokenUrl: env.CHECKOUT_OAUTH_TOKEN_URL || tokenUrlFor(env.CHECKOUT_API_BASE),
    kv: env.OAUTH_TOKENS,
    refresher: (key) => refresherFor(env, key),
    memory,
    ...(options.waitUntil ? { waitUntil: options.waitUntil } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
