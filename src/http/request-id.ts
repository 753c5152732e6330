/** A request id: 26 lowercase base32 chars, the shape Checkout.com uses for ids. */
export function newRequestId(): string {
  return `req_${randomBase32(26)}`;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Cryptographically random lowercase base32 string (Checkout.com id alphabet). */
export function randomBase32(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/** Accepts a caller's request id only if it is short and plain, so it is safe to echo and log. */
export function sanitizeRequestId(value: string | null | undefined): string | null {
  return value && /^[A-Za-z0-9._:-]{1,64}$/.test(value) ? value : null;
}
