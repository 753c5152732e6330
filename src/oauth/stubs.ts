import type { OAuthTokenRefresher } from './refresher-do';

/** The one module that names `TOKEN_REFRESHER` objects (docs/storage.md). */

/**
 * The refresher of one credential and scope set: named by the token's KV key (`tokenCacheKey`), so every
 * isolate asking for that token reaches the same object, which fetches it once.
 */
export function refresherFor(env: Env, cacheKey: string): DurableObjectStub<OAuthTokenRefresher> {
  return env.TOKEN_REFRESHER.getByName(cacheKey);
}
