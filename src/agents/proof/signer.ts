import type { JWK } from 'jose';
import { loadJose } from '../../http/jose';
import {
  algFor,
  isValidKid,
  jwksDocument,
  type Parsed,
  type PreviousKey,
  type PrivateJwk,
  type PublicJwk,
  parsePreviousKeys,
  parseSigningJwk,
  publicJwk,
} from './jwk';

/**
 * The signing key of receipts and archive heads, loaded once per isolate: `RECEIPT_SIGNING_KEY` (a private
 * JWK, a secret); or, only where Bollard's public URL is on loopback (development), a key generated on first
 * use and kept in KV (`OAUTH_TOKENS`, key `DEV_KEY_KV_KEY`: docs/storage.md) so that restarts and isolates
 * keep one key. Signing needs no Durable Object: a key import per isolate, then one Ed25519 signature per call.
 */

/** Where the development key lives (KV `OAUTH_TOKENS`; the namespace also holds OAuth tokens). */
export const DEV_KEY_KV_KEY = 'receipts:dev-signing-key:v1';

export interface Signer {
  kid: string;
  alg: PublicJwk['alg'];
  key: CryptoKey;
  publicJwk: PublicJwk;
  /** `secret`: RECEIPT_SIGNING_KEY; `generated`: the development key kept in KV. */
  source: 'secret' | 'generated';
}

export type SignerState =
  | { kind: 'ok'; signer: Signer }
  /** No secret and not on loopback: nothing signs. */
  | { kind: 'missing' }
  /** The secret is set but is not a usable private JWK (the problem names what, never a value). */
  | { kind: 'invalid'; problem: string };

/** Bollard's public URL (the receipts' `iss`), without a trailing slash; empty when unset. */
export function publicUrl(env: Env): string {
  return (env.BOLLARD_PUBLIC_URL ?? '').trim().replace(/\/+$/, '');
}

/** The `iss` of everything Bollard signs: its public URL, or `bollard` when that is not configured. */
export function issuer(env: Env): string {
  return publicUrl(env) || 'bollard';
}

/** True when Bollard's configured public URL is on this machine: development, where a key may be generated. */
export function isDevelopment(env: Env): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(publicUrl(env)).hostname);
  } catch {
    return false;
  }
}

async function kidOf(jwk: PrivateJwk): Promise<string> {
  if (jwk.kid) return jwk.kid;
  // RFC 7638: the thumbprint of the public members, so the same key always has the same kid.
  const { kty, crv, x, y } = jwk;
  const { calculateJwkThumbprint } = await loadJose();
  return calculateJwkThumbprint({ kty, crv, x, ...(y !== undefined ? { y } : {}) } as JWK);
}

async function signerFrom(jwk: PrivateJwk, source: Signer['source']): Promise<Signer> {
  const kid = await kidOf(jwk);
  const alg = algFor(jwk.crv);
  const { importJWK } = await loadJose();
  const key = (await importJWK(jwk as unknown as JWK, alg)) as CryptoKey;
  return { kid, alg, key, publicJwk: publicJwk(jwk, kid), source };
}

async function developmentKey(env: Env): Promise<PrivateJwk> {
  const stored = parseSigningJwk((await env.OAUTH_TOKENS.get(DEV_KEY_KV_KEY)) ?? undefined);
  if (stored.ok) return stored.value;
  const { exportJWK, generateKeyPair } = await loadJose();
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const fresh = parseSigningJwk(JSON.stringify(await exportJWK(privateKey)));
  if (!fresh.ok) throw new Error(`generated key unusable: ${fresh.problem}`);
  const withKid = { ...fresh.value, kid: await kidOf(fresh.value) };
  await env.OAUTH_TOKENS.put(DEV_KEY_KV_KEY, JSON.stringify(withKid));
  // Another isolate may have written first; the stored key is the one everyone uses from now on.
  const again = parseSigningJwk((await env.OAUTH_TOKENS.get(DEV_KEY_KV_KEY)) ?? undefined);
  return again.ok ? again.value : withKid;
}

let cached: { source: string; state: Promise<SignerState> } | null = null;

/** The isolate's signer (loaded and imported once per secret value). */
export function loadSigner(env: Env): Promise<SignerState> {
  const secret = env.RECEIPT_SIGNING_KEY;
  const source = secret ? `secret:${secret}` : isDevelopment(env) ? 'generated' : 'missing';
  if (cached?.source === source) return cached.state;
  const state = (async (): Promise<SignerState> => {
    if (source === 'missing') return { kind: 'missing' };
    if (secret) {
      const parsed = parseSigningJwk(secret);
      if (!parsed.ok) return { kind: 'invalid', problem: `RECEIPT_SIGNING_KEY ${parsed.problem}` };
      try {
        return { kind: 'ok', signer: await signerFrom(parsed.value, 'secret') };
      } catch {
        return { kind: 'invalid', problem: 'RECEIPT_SIGNING_KEY could not be imported as a signing key' };
      }
    }
    return { kind: 'ok', signer: await signerFrom(await developmentKey(env), 'generated') };
  })();
  cached = { source, state };
  // A failed load (KV down) is not kept: the next call tries again.
  state.catch(() => {
    if (cached?.state === state) cached = null;
  });
  return state;
}

/** Signs `claims` as a compact JWS with the key's alg, kid and the given `typ`. */
export async function signCompact(signer: Signer, claims: object, typ: string): Promise<string> {
  const { CompactSign } = await loadJose();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ })
    .sign(signer.key);
}

/** The previous keys from `RECEIPT_PREVIOUS_PUBLIC_KEYS` (a malformed value: none, and the problem). */
export function previousKeys(env: Env): Parsed<PreviousKey[]> {
  return parsePreviousKeys(env.RECEIPT_PREVIOUS_PUBLIC_KEYS);
}

/** `GET /.well-known/jwks.json`: the current key and the previous keys still within their date. */
export async function currentJwks(env: Env, nowMs: number = Date.now()): Promise<{ keys: PublicJwk[] }> {
  const state = await loadSigner(env).catch((): SignerState => ({ kind: 'missing' }));
  const previous = previousKeys(env);
  return jwksDocument(
    state.kind === 'ok' ? state.signer.publicJwk : null,
    previous.ok ? previous.value : [],
    nowMs,
  );
}

/**
 * Verifies a compact JWS Bollard signed (an archive head read back), with the current key, a previous key
 * or a key from `extra` (the archive's own `keys/<kid>.json`), and returns its claims; null when it does
 * not verify, has another `typ`, or names an unknown kid.
 */
export async function verifyCompact(
  env: Env,
  jws: string,
  typ: string,
  extra: (kid: string) => Promise<PublicJwk | null> = async () => null,
): Promise<Record<string, unknown> | null> {
  const state = await loadSigner(env);
  const previous = previousKeys(env);
  const known = [
    ...(state.kind === 'ok' ? [state.signer.publicJwk] : []),
    ...(previous.ok ? previous.value : []),
  ];
  const { compactVerify, importJWK } = await loadJose();
  try {
    const { payload, protectedHeader } = await compactVerify(jws, async (header) => {
      const kid = header.kid;
      if (!isValidKid(kid)) throw new Error('no kid');
      const jwk = known.find((k) => k.kid === kid) ?? (await extra(kid));
      if (!jwk || jwk.alg !== header.alg) throw new Error('unknown key');
      const { kty, crv, x, y } = jwk;
      return (await importJWK({ kty, crv, x, ...(y !== undefined ? { y } : {}) }, jwk.alg)) as CryptoKey;
    });
    if (protectedHeader.typ !== typ) return null;
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
