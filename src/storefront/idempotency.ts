import { BollardError } from '../http';

/**
 * The browser side of the IETF Idempotency-Key draft
 * (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/): the header is a
 * structured-field String (`"abc"`), which Bollard also accepts bare for convenience. Same key + same
 * body → the first response again, from whatever address the retry comes; same key + different body →
 * 422; first still running → 409.
 */

/** How long a finished response is replayed. One hour covers double-clicks and page-reload retries while
 * keeping stored `payment_session_secret`s short-lived. */
export const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;
/**
 * How long an unfinished session or link request holds its key, should it never finish: well above the
 * storefront's upstream deadline (`STOREFRONT_UPSTREAM_DEADLINE_MS`). Submits use their own (submit-route.ts).
 */
export const IDEMPOTENCY_LEASE_MS = 90 * 1000;

/**
 * The shortest `Idempotency-Key` a session or link create takes. Its key alone says which attempt a request
 * belongs to — not the address it comes from, which changes when a phone moves from Wi-Fi to mobile data —
 * so it must not be one another shopper's page could also pick. 16 characters hold 96 random bits in
 * base64; a random UUID has 36.
 */
export const CREATE_KEY_MIN_LENGTH = 16;

/**
 * Parses the header; null when absent, a 422 naming it when present but unusable: 1 to 255 printable
 * ASCII characters without spaces, quotes or backslashes, and at least `minLength`.
 */
export function parseIdempotencyKey(header: string | undefined, minLength = 1): string | null {
  if (header === undefined) return null;
  let value = header.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/.test(value) || value.length < minLength) {
    throw new BollardError('request_invalid', {
      codes: ['idempotency_key_invalid'],
      message: `Idempotency-Key must be ${minLength}-255 printable ASCII characters without spaces or quotes, e.g. a random UUID`,
    });
  }
  return value;
}

/** SHA-256 of UTF-8 text, as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The request fingerprint: method, route and the validated body (key order as sent). */
export function fingerprint(method: string, path: string, body: unknown): Promise<string> {
  return sha256Hex(`${method} ${path}\n${JSON.stringify(body)}`);
}

/**
 * The `Cko-Idempotency-Key` Bollard sends upstream for a session or link create carrying a browser key:
 * derived from the route, the key and the request's fingerprint (`fingerprint`: route and validated body,
 * the order token included), never from the client's address. So a retry of the attempt — after its
 * answer was lost, its record expired, or from another address — reaches Checkout.com under the same
 * key and gets the first session or link back; the same key with another body (another order, another
 * order token) is another key upstream, so Checkout.com never answers one order with another's session.
 * Without a browser key the route sends a fresh key per request.
 */
export async function upstreamKeyFor(
  path: string,
  browserKey: string,
  requestFingerprint: string,
): Promise<string> {
  return `bollard-sf-${(await sha256Hex(`${path}\n${browserKey}\n${requestFingerprint}`)).slice(0, 40)}`;
}
