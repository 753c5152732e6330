import type { JWK } from 'jose';
import { BollardError } from '../http';
import { type Jose, loadJose } from '../http/jose';

/**
 * Order tokens: how money gets from the merchant, not the browser, into a payment session or link. The
 * merchant's backend signs a JWS (a JWT) over the order; the browser only carries it. Bollard verifies
 * the signature, the expiry, the claims' shapes, and (with the guard) that each `jti` is used once.
 */

/** What the merchant signed. */
export interface Order {
  /** Minor units, a positive integer. */
  amount: number;
  /** ISO 4217 alpha-3. */
  currency: string;
  /** The merchant's order reference, ≤ 50 characters. */
  reference: string;
}

export interface VerifiedOrder extends Order {
  /** Unique per token; recorded until `exp` so a token works once. */
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
}

/** The verification key: a shared HS256 secret, or a public key (PEM SPKI or JWK) for ES256/RS256/EdDSA. */
export interface OrderTokenKeys {
  /** `ORDER_TOKEN_KEY`: HS256 shared secret (at least 32 bytes). */
  secret?: string;
  /** `ORDER_TOKEN_PUBLIC_KEY`: a PEM `-----BEGIN PUBLIC KEY-----` or a JSON JWK with its `alg`. */
  publicKey?: string;
}

const ISSUER_CLOCK_TOLERANCE_S = 5;

function invalid(code: string, message: string, cause?: unknown): BollardError {
  return new BollardError('request_invalid', { codes: [code], message, cause });
}

type VerifyKey = { key: CryptoKey | Uint8Array; algorithms: string[] };

const keyCache = new Map<string, Promise<VerifyKey>>();

async function importVerifyKey(keys: OrderTokenKeys): Promise<VerifyKey> {
  const pub = keys.publicKey?.trim();
  const { importJWK, importSPKI } = await loadJose();
  if (pub) {
    if (pub.startsWith('{')) {
      const jwk = JSON.parse(pub) as JWK;
      if (!jwk.alg) throw new Error('ORDER_TOKEN_PUBLIC_KEY JWK needs an "alg"');
      return { key: (await importJWK(jwk, jwk.alg)) as CryptoKey, algorithms: [jwk.alg] };
    }
    // A PEM SPKI does not say its algorithm; try the asymmetric ones the merchant may use, in order.
    for (const alg of ['ES256', 'EdDSA', 'RS256']) {
      try {
        return { key: await importSPKI(pub, alg), algorithms: [alg] };
      } catch {
        // not this algorithm
      }
    }
    throw new Error('ORDER_TOKEN_PUBLIC_KEY is not a usable ES256/EdDSA/RS256 public key');
  }
  const secret = keys.secret ?? '';
  // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
  if (new TextEncoder().encode(secret).length < 32)
    throw new Error('ORDER_TOKEN_KEY must be at least 32 bytes');
  return { key: new TextEncoder().encode(secret), algorithms: ['HS256'] };
}

function verifyKey(keys: OrderTokenKeys): Promise<VerifyKey> {
  const id = `${keys.publicKey ?? ''}\u0000${keys.secret ?? ''}`;
  let p = keyCache.get(id);
  if (!p) {
    p = importVerifyKey(keys);
    // A failed import is a configuration error; do not pin it forever.
    p.catch(() => keyCache.delete(id));
    keyCache.set(id, p);
  }
  return p;
}

/** Maps jose's stable error codes to Bollard's; the browser learns what is wrong, not why in detail. */
function mapJoseError(err: unknown, joseErrors: Jose['errors']): BollardError {
  if (err instanceof joseErrors.JWTExpired)
    return invalid('order_token_expired', 'the order token has expired', err);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return invalid('order_token_invalid', 'the order token signature does not verify', err);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return invalid('order_token_invalid', 'the order token uses an algorithm that is not accepted', err);
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return invalid('order_token_claims_invalid', `the order token claim "${err.claim}" is invalid`, err);
  }
  return invalid('order_token_malformed', 'the order token is not a well-formed JWS', err);
}

/**
 * Verifies an order token and returns the order it carries. Throws a 422 `BollardError` naming what is
 * wrong: `order_token_expired`, `order_token_invalid` (tampered or wrong key), `order_token_malformed`,
 * `order_token_claims_invalid` (missing/ill-typed amount, currency, reference, jti, exp, or an `exp` too
 * far away). Replay is checked separately, by the guard.
 */
export async function verifyOrderToken(
  token: string,
  keys: OrderTokenKeys,
  options: { now: number; maxTtlSeconds: number },
): Promise<VerifiedOrder> {
  let vk: VerifyKey;
  try {
    vk = await verifyKey(keys);
  } catch (err) {
    // The operator's problem, not the browser's: a plain Error becomes a logged 500.
    throw new Error('order token verification key is misconfigured', { cause: err });
  }
  const jose = await loadJose();
  let payload: Record<string, unknown>;
  try {
    const result = await jose.jwtVerify(token, vk.key, {
      algorithms: vk.algorithms,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(options.now),
      clockTolerance: ISSUER_CLOCK_TOLERANCE_S,
    });
    payload = result.payload as Record<string, unknown>;
  } catch (err) {
    throw mapJoseError(err, jose.errors);
  }
  const { amount, currency, reference, jti, exp } = payload;
  const claim = (name: string) =>
    invalid('order_token_claims_invalid', `the order token claim "${name}" is invalid`);
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) throw claim('amount');
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw claim('currency');
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > 50)
    throw claim('reference');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) throw claim('jti');
  if (typeof exp !== 'number') throw claim('exp');
  if (exp - options.now / 1000 > options.maxTtlSeconds) {
    throw invalid(
      'order_token_claims_invalid',
      `the order token "exp" is more than ${options.maxTtlSeconds} s away; mint short-lived tokens`,
    );
  }
  return { amount, currency, reference, jti, exp };
}

/**
 * Signs an order token with the HS256 shared secret: what a merchant backend does (this is the jose call
 * a Node/Workers backend would make), used here by the dev-only demo route and the tests.
 *
 * @example
 * const token = await mintOrderToken({ amount: 1999, currency: 'GBP', reference: 'ORD-1' }, env.ORDER_TOKEN_KEY, { ttlSeconds: 600 });
 */
export async function mintOrderToken(
  order: Order,
  secret: string,
  options: { ttlSeconds?: number; now?: number; jti?: string } = {},
): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const { SignJWT } = await loadJose();
  return new SignJWT({ amount: order.amount, currency: order.currency, reference: order.reference })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 900))
    .setJti(options.jti ?? crypto.randomUUID())
    .sign(new TextEncoder().encode(secret));
}
