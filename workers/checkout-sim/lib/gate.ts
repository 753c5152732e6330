import type { Access, CatalogEntry } from '../../../src/catalog';
import type { Requirement } from './auth';

/** Simulator routes outside the catalog, by template (for stats, faults and idempotency keys). */
const EXTRA_TEMPLATES: readonly (readonly [RegExp, string])[] = [
  [/^\/payment-sessions\/[^/]+\/submit$/, '/payment-sessions/{id}/submit'],
  [/^\/connect\/token$/, '/connect/token'],
  [/^\/workflows\/[^/]+\/test$/, '/workflows/{id}/test'],
  [/^\/link\/[^/]+$/, '/link/{id}'],
  [/^\/3ds\/[^/]+$/, '/3ds/{id}'],
];

/** `METHOD /template`: the catalog's template, a known simulator template, or `(unmatched)`. */
export function routeKeyFor(method: string, path: string, entry: CatalogEntry | null): string {
  if (entry) return `${method} ${entry.path}`;
  for (const [pattern, template] of EXTRA_TEMPLATES) if (pattern.test(path)) return `${method} ${template}`;
  return `${method} (unmatched)`;
}

/** Reads are GETs; everything else spends the write budget (facts §7). */
export function accessFor(method: string, entry: CatalogEntry | null): Access {
  return entry ? entry.access : method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/**
 * What a credential needs for a request. Catalog rows say it themselves; the routes outside the
 * catalog borrow the nearest catalog scope:
 * - `/payment-sessions/{id}/submit` makes a payment → `gateway:payment`;
 * - other `/workflows...` paths (event types, reflow, ...) → as the workflows rows (scope not stated);
 * - other `/disputes...` paths → `disputes:view` to read, `disputes:provide-evidence` to write;
 * - anything else → any valid secret key or token (it then gets the router's 404).
 */
export function requirementFor(method: string, path: string, entry: CatalogEntry | null): Requirement | null {
  if (entry) return { kind: 'entry', entry };
  if (path.startsWith('/payment-sessions/')) return { kind: 'scope', scope: 'gateway:payment' };
  if (path === '/workflows' || path.startsWith('/workflows/')) return { kind: 'not-stated' };
  if (path.startsWith('/disputes/')) {
    return { kind: 'scope', scope: method === 'GET' ? 'disputes:view' : 'disputes:provide-evidence' };
  }
  return null;
}
