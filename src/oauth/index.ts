export { secretFingerprint, tokenCacheKey } from './cache-key';
export { isOAuthFailure, isTransient, type OAuthFailure, OAuthTokenError } from './errors';
export { oauthTokenSourceFromEnv } from './from-env';
export type { RefresherAnswer, RefresherRequest, RefresherStatus } from './refresher-do';
export { tokenScopes } from './scopes';
export { entriesForSurface, type OAuthSurface } from './surfaces';
export { requestToken, type TokenRequest, type TokenResult, tokenUrlFor } from './token-endpoint';
export * from './token-policy';
export { KvTokenSource, type KvTokenSourceOptions, TokenMemory } from './token-source';
