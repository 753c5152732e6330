import type { CatalogEntry, Scope } from './types';

/**
 * The OAuth scope used for the workflows rows when a token must be requested for them. The guide does
 * not state one; the official 2021 OpenAPI document (`shared/reference/swagger.json`) secures
 * `/workflows*` with `flow` or `flow:workflows`. Kept apart from the catalog so the catalog stays
 * faithful to the guide.
 */
export const WORKFLOWS_OAUTH_SCOPE = 'flow:workflows';

/** The scope a call needs, or null where the guide does not state one. */
export function requiredScope(entry: CatalogEntry): Scope | null {
  return entry.permission.kind === 'scope' ? entry.permission.scope : null;
}

/** The scope an OAuth token must carry for the entry (the guide's, or the workflows fallback). */
export function oauthScopeFor(entry: CatalogEntry): string {
  return requiredScope(entry) ?? WORKFLOWS_OAUTH_SCOPE;
}

/**
 * True when a granted scope covers a required one: equal, or a parent (`gateway` covers
 * `gateway:payment`; `flow` covers `flow:workflows`).
 */
export function scopeCovers(granted: string, required: string): boolean {
  if (granted === required) return true;
  const colon = required.indexOf(':');
  return colon !== -1 && granted === required.slice(0, colon);
}

/** True when any of the granted scopes covers the required one. */
export function scopesCover(granted: Iterable<string>, required: string): boolean {
  for (const g of granted) if (scopeCovers(g, required)) return true;
  return false;
}

/**
 * The least set of OAuth scopes that lets a token call every given entry: the distinct specific
 * scopes, sorted, never widened to a parent. Workflows rows contribute the documented fallback.
 */
export function minimalScopes(entries: Iterable<CatalogEntry>): string[] {
  const scopes = new Set<string>();
  for (const entry of entries) scopes.add(oauthScopeFor(entry));
  return [...scopes].sort();
}
