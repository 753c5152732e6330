import { redactString } from './redact';

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

/**
 * Accepts a caller's request id only if it is short and plain, so it is safe to echo, log and store (the
 * audit records keep it): letters, digits, `.`, `:` and `-` — no `_`, so no credential shape (`sk_…`,
 * `bak_…`, `whsec_…`) passes — and nothing card-like (13 or more digits) or that the log redactor would
 * mask. Anything else gets a fresh id.
 */
export function sanitizeRequestId(value: string | null | undefined): string | null {
  if (!value || !/^[A-Za-z0-9.:-]{1,64}$/.test(value)) return null;
  if (/\d{13}/.test(value.replace(/[.:-]/g, '')) || redactString(value) !== value) return null;
  return value;
}
