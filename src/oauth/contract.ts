// What this folder offers the outbound client (src/checkout/contract.ts re-exports it): declared here, with
// no imports, so the client depends on the token source and never the other way round.

/** Supplies OAuth access tokens to the outbound client (`src/checkout/`): `KvTokenSource` (token-source.ts). */
export interface TokenSource {
  /** A token valid for at least the source's safety skew, carrying the source's scopes. */
  getToken(): Promise<string>;
  /**
   * The API answered 401 to a call made with `token`: forget it everywhere (memory, KV) so that the next
   * `getToken()` fetches a new one. A no-op when the cache already holds a different token.
   */
  invalidate(token: string): Promise<void>;
}
