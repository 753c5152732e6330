import { type CatalogEntry, minimalScopes } from '../catalog';

/**
 * The scopes a token is requested with: an explicit configuration (`CHECKOUT_OAUTH_SCOPES`, space or
 * comma separated — e.g. `gateway` for a blanket token) when given, otherwise the least set the enabled
 * surfaces' catalog entries need (`minimalScopes`). Sorted and de-duplicated, so the same set always
 * hashes to the same cache key.
 */
export function tokenScopes(entries: Iterable<CatalogEntry>, configured?: string): string[] {
  const explicit = (configured ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (explicit.length > 0) return [...new Set(explicit)].sort();
  return minimalScopes(entries);
}
