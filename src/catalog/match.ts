import { CATALOG } from './entries';
import type { CatalogEntry, HttpMethod } from './types';

export interface CatalogMatch {
  readonly entry: CatalogEntry;
  /** Path parameters, decoded (`{ id: 'pay_abc' }`). */
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledEntry {
  readonly entry: CatalogEntry;
  readonly segments: readonly string[];
}

const COMPILED: readonly CompiledEntry[] = CATALOG.map((entry) => ({
  entry,
  segments: entry.path.split('/').filter(Boolean),
}));

const PLACEHOLDER = /^\{(\w+)\}$/;

/** Splits a concrete path (query string and fragment dropped, one trailing slash tolerated) into segments. */
function concreteSegments(pathOrUrl: string): string[] | null {
  let path = pathOrUrl;
  const schemeAt = path.indexOf('://');
  if (schemeAt !== -1) {
    const slash = path.indexOf('/', schemeAt + 3);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  const cut = path.search(/[?#]/);
  if (cut !== -1) path = path.slice(0, cut);
  if (!path.startsWith('/')) return null;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.split('/').slice(1);
  // An empty segment ("//") never names a resource; refusing it keeps matching unambiguous.
  if (segments.some((s) => s.length === 0)) return segments.length === 1 && path === '/' ? [] : null;
  return segments;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Finds the catalog entry for a concrete request, e.g. `matchRequest('POST', '/payments/pay_abc/refunds')`.
 * Literal segments win over placeholders; an unknown path or a method the path does not support gives null.
 *
 * @example
 * matchRequest('GET', '/payments/pay_123?x=1')?.entry.name // 'getPayment'
 */
export function matchRequest(method: string, pathOrUrl: string): CatalogMatch | null {
  const upper = method.toUpperCase();
  const segments = concreteSegments(pathOrUrl);
  if (!segments) return null;
  let best: { match: CatalogMatch; literals: number } | null = null;
  for (const compiled of COMPILED) {
    if (compiled.entry.method !== upper || compiled.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const template = compiled.segments[i] as string;
      const actual = segments[i] as string;
      const placeholder = PLACEHOLDER.exec(template);
      if (placeholder) {
        const value = decode(actual);
        if (value === null || value.length === 0 || value.includes('/')) ok = false;
        else params[placeholder[1] as string] = value;
      } else if (template === actual) {
        literals++;
      } else {
        ok = false;
      }
    }
    if (ok && (!best || literals > best.literals))
      best = { match: { entry: compiled.entry, params }, literals };
  }
  return best?.match ?? null;
}

/** The methods a path supports, for a 405-style answer ("this path exists, not with that method"). */
export function methodsForPath(pathOrUrl: string): HttpMethod[] {
  const methods: HttpMethod[] = [];
  for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    if (matchRequest(m, pathOrUrl)) methods.push(m);
  }
  return methods;
}

/** Fills a path template: `fillPath('/payments/{id}', { id: 'pay_1' })` → `/payments/pay_1` (encoded). */
export function fillPath(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined || value === '') throw new TypeError(`missing path parameter "${key}"`);
    return encodeURIComponent(value);
  });
}
