/**
 * `Cko-Signature` verification: lowercase hex HMAC-SHA256 of the exact request bytes, keyed with the
 * workflow action's `signature.key` (facts §6). Checkout.com signs no timestamp, so this proves origin
 * and integrity only; replay protection is the inbox's job (dedupe on the event id).
 */

const encoder = new TextEncoder();

/** Imported keys, per configured key list, for the life of the isolate (importKey is not free). */
const keyCache = new Map<string, Promise<CryptoKey[]>>();

/**
 * Splits `WEBHOOK_SIGNING_KEYS` (comma-separated so that a key can be rotated: add the new one, let the
 * old workflow drain, remove the old one) into its keys. Surrounding whitespace is ignored.
 */
export function parseSigningKeys(configured: string | undefined): string[] {
  return (configured ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/** The HMAC keys for a configured key list, imported once per isolate. */
export function signingKeys(configured: string | undefined): Promise<CryptoKey[]> {
  const cacheKey = configured ?? '';
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    keys = Promise.all(
      parseSigningKeys(configured).map((k) =>
        crypto.subtle.importKey('raw', encoder.encode(k), { name: 'HMAC', hash: 'SHA-256' }, false, [
          'verify',
        ]),
      ),
    );
    // A rejected import must not poison the cache for the isolate's lifetime.
    keys.catch(() => keyCache.delete(cacheKey));
    keyCache.set(cacheKey, keys);
  }
  return keys;
}

/**
 * Decodes a signature header: exactly 64 lowercase hex characters (what Checkout.com sends; the official
 * plugin compares against PHP's lowercase `hash_hmac`). Anything else — upper case, truncated, padded —
 * is refused rather than normalised, so there is one accepted spelling of each signature.
 */
export function decodeSignatureHeader(header: string | null | undefined): Uint8Array<ArrayBuffer> | null {
  if (!header || !/^[0-9a-f]{64}$/.test(header)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(header.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export type SignatureResult = { ok: true; keyIndex: number } | { ok: false; reason: SignatureFailure };
export type SignatureFailure = 'signature_missing' | 'signature_malformed' | 'signature_invalid' | 'no_keys';

/**
 * Verifies `header` against every configured key. `crypto.subtle.verify` compares the MAC in constant
 * time; every key is tried (no early exit) so timing does not reveal which key matched.
 */
export async function verifyCkoSignature(
  body: Uint8Array<ArrayBuffer>,
  header: string | null | undefined,
  configuredKeys: string | undefined,
): Promise<SignatureResult> {
  if (header === null || header === undefined || header === '') {
    return { ok: false, reason: 'signature_missing' };
  }
  const signature = decodeSignatureHeader(header);
  if (!signature) return { ok: false, reason: 'signature_malformed' };
  const keys = await signingKeys(configuredKeys);
  if (keys.length === 0) return { ok: false, reason: 'no_keys' };
  const results = await Promise.all(keys.map((k) => crypto.subtle.verify('HMAC', k, signature, body)));
  const keyIndex = results.indexOf(true);
  return keyIndex === -1 ? { ok: false, reason: 'signature_invalid' } : { ok: true, keyIndex };
}

/** Lowercase hex HMAC-SHA256 of `body` — how Checkout.com (and the simulator) sign a delivery. */
export async function signCko(body: Uint8Array<ArrayBuffer> | string, key: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', k, typeof body === 'string' ? encoder.encode(body) : body),
  );
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}
