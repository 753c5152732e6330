import { AREAS, CATALOG } from './entries';
import type { Access, Area, CatalogEntry } from './types';

export { AREAS, CATALOG } from './entries';
export { EVENTS } from './events';
export { type CatalogMatch, fillPath, matchRequest, methodsForPath } from './match';
export {
  minimalScopes,
  oauthScopeFor,
  requiredScope,
  scopeCovers,
  scopesCover,
  WORKFLOWS_OAUTH_SCOPE,
} from './scopes';
export type * from './types';

export interface CatalogFilter {
  area?: Area;
  access?: Access;
  /** A scope; matches rows needing it, or any child of it when a parent is given (`gateway`). */
  scope?: string;
  method?: string;
  /** Case-insensitive search over path, name and description. */
  search?: string;
}

/** The rows matching every given filter, in the guide's order. */
export function listEntries(filter: CatalogFilter = {}): CatalogEntry[] {
  const search = filter.search?.toLowerCase();
  return CATALOG.filter((e) => {
    if (filter.area && e.area !== filter.area) return false;
    if (filter.access && e.access !== filter.access) return false;
    if (filter.method && e.method !== filter.method.toUpperCase()) return false;
    if (filter.scope !== undefined) {
      const s = e.permission.kind === 'scope' ? e.permission.scope : null;
      const wanted = filter.scope;
      const notStated = wanted === 'none' || wanted === 'not-stated' || wanted === '—';
      if (notStated ? s !== null : s === null || !(s === wanted || s.startsWith(`${wanted}:`))) return false;
    }
    if (search) {
      const hay = `${e.method} ${e.path} ${e.name} ${e.description}`.toLowerCase();
      if (!hay.includes(search)) return false;
    }
    return true;
  });
}

export function entryByName(name: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.name === name);
}

export function isArea(value: string): value is Area {
  return AREAS.some((a) => a.id === value);
}
