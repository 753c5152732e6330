/**
 * The receipt signing key's JSON Web Key forms (RFC 7517), pure: parsing the private key from its secret,
 * the public members a JWKS may carry, and the previous keys kept for verification during a rotation.
 * Ed25519 (`alg: EdDSA`, RFC 8037) is the default; P-256 (`alg: ES256`) is accepted too.
 */

export type ReceiptAlg = 'EdDSA' | 'ES256';

/** A public key as the JWKS serves it. `verify_until`: a previous key's end of publication (ISO 8601). */
export interface PublicJwk {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
  kid: string;
  alg: ReceiptAlg;
  use: 'sig';
  verify_until?: string;
}

/** The signing key as the secret holds it: the public members plus `d`. `kid` may be absent. */
export interface PrivateJwk {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
  d: string;
  kid?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const B64URL = /^[A-Za-z0-9_-]+$/;
/** A kid names an object in the archive (`keys/<kid>.json`), so it is kept to URL- and key-safe text. */
const KID = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The only members a published key has (`publicJwk` copies these by name, so `d` never follows), plus a
 * previous key's `verify_until`.
 */
export const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use', 'verify_until'] as const;

export function algFor(crv: PrivateJwk['crv']): ReceiptAlg {
  return crv === 'Ed25519' ? 'EdDSA' : 'ES256';
}

export function isValidKid(kid: unknown): kid is string {
  return typeof kid === 'string' && KID.test(kid);
}

function str(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  return typeof v === 'string' && B64URL.test(v) ? v : undefined;
}

/** The key shape both forms share: OKP/Ed25519 or EC/P-256 with its coordinates. */
function curveOf(o: Record<string, unknown>): Parsed<Pick<PrivateJwk, 'kty' | 'crv' | 'x' | 'y'>> {
  const x = str(o, 'x');
  if (o.kty === 'OKP' && o.crv === 'Ed25519' && x)
    return { ok: true, value: { kty: 'OKP', crv: 'Ed25519', x } };
  const y = str(o, 'y');
  if (o.kty === 'EC' && o.crv === 'P-256' && x && y)
    return { ok: true, value: { kty: 'EC', crv: 'P-256', x, y } };
  return { ok: false, problem: 'not an Ed25519 (OKP) or P-256 (EC) key with its coordinates' };
}

function objectOf(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `RECEIPT_SIGNING_KEY`: one private JWK (JSON). The problem text names what is wrong, never a value.
 */
export function parseSigningJwk(text: string | undefined): Parsed<PrivateJwk> {
  if (!text || text.trim() === '') return { ok: false, problem: 'not set' };
  const o = objectOf(text);
  if (!o) return { ok: false, problem: 'not a JSON object (a private JWK)' };
  const curve = curveOf(o);
  if (!curve.ok) return curve;
  const d = str(o, 'd');
  if (!d) return { ok: false, problem: 'has no private member "d": a public key cannot sign' };
  if (o.kid !== undefined && !isValidKid(o.kid))
    return { ok: false, problem: 'kid must be 1-128 characters of A-Z a-z 0-9 _ . -' };
  return { ok: true, value: { ...curve.value, d, ...(isValidKid(o.kid) ? { kid: o.kid } : {}) } };
}

/** The published form of a key: the whitelisted public members only, with its kid, alg and `use: sig`. */
export function publicJwk(jwk: Pick<PrivateJwk, 'kty' | 'crv' | 'x' | 'y'>, kid: string): PublicJwk {
  const out: PublicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: algFor(jwk.crv), use: 'sig' };
  if (jwk.y !== undefined) out.y = jwk.y;
  return out;
}

/** A key that signed before a rotation, published until `verify_until`. */
export interface PreviousKey extends PublicJwk {
  verify_until: string;
}

/**
 * `RECEIPT_PREVIOUS_PUBLIC_KEYS`: a JSON array of public JWKs (or `{ "keys": [...] }`), each with its `kid`
 * and a `verify_until` date. Empty or unset: none. A private member anywhere is refused outright: that var is
 * published.
 */
export function parsePreviousKeys(text: string | undefined): Parsed<PreviousKey[]> {
  if (!text || text.trim() === '') return { ok: true, value: [] };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const list = Array.isArray(v) ? v : (v as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return { ok: false, problem: 'not a JSON array of public JWKs' };
  const keys: PreviousKey[] = [];
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'object' || item === null) return { ok: false, problem: `key ${i} is not an object` };
    const o = item as Record<string, unknown>;
    if ('d' in o)
      return { ok: false, problem: `key ${i} holds a private member "d": publish public keys only` };
    const curve = curveOf(o);
    if (!curve.ok) return { ok: false, problem: `key ${i} is ${curve.problem}` };
    if (!isValidKid(o.kid)) return { ok: false, problem: `key ${i} has no valid kid` };
    const until = typeof o.verify_until === 'string' ? Date.parse(o.verify_until) : Number.NaN;
    if (!Number.isFinite(until)) return { ok: false, problem: `key ${i} has no verify_until date` };
    keys.push({ ...publicJwk(curve.value, o.kid), verify_until: new Date(until).toISOString() });
  }
  return { ok: true, value: keys };
}

/**
 * The JWKS document: the current key (if any), then each previous key whose `verify_until` has not passed.
 * A previous key with the current key's kid is the current key and is not listed twice.
 */
export function jwksDocument(
  current: PublicJwk | null,
  previous: readonly PreviousKey[],
  nowMs: number,
): { keys: PublicJwk[] } {
  const keys: PublicJwk[] = current ? [current] : [];
  for (const k of previous)
    if (Date.parse(k.verify_until) > nowMs && !keys.some((c) => c.kid === k.kid)) keys.push(k);
  return { keys };
}
