import { BollardError } from '../http';

/**
 * The browser side of the IETF Idempotency-Key draft
 * (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/): the header is a
 * structured-field String (`"abc"`), which Bollard also accepts bare for convenience. Same key + same
 * body → the first response again; same key + different body → 422; first still running → 409.
 */

/** How long a finished response is replayed. One hour covers double-clicks and page-reload retries while
 * keeping stored `payment_session_secret`s short-lived. */
export const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;
/**
 * How long an unfinished session or link request holds its key, should it never finish: well above the
 * storefront's upstream deadline (`STOREFRONT_UPSTREAM_DEADLINE_MS`). Submits use their own (submit-route.ts).
 */
export const IDEMPOTENCY_LEASE_MS = 90 * 1000;

/** Parses the header; null when absent, a 400 when present but unusable. */
export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  let value = header.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/.test(value)) {
    throw new BollardError('request_malformed', {
      codes: ['idempotency_key_invalid'],
      message: 'Idempotency-Key must be 1-255 printable ASCII characters, e.g. a UUID',
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
 * The `Cko-Idempotency-Key` Bollard sends upstream for a browser key: derived from the client, route and
 * key, so even a request retried after its lease expired (a crashed isolate) reaches Checkout.com under
 * the same key and is deduplicated there too. Without a browser key the client generates one.
 *
 * With an order token its `jti` is part of it: the key's record lives with the token (guarded-write.ts),
 * so a key reused for another order is not refused as another body; it must not reach Checkout.com
 * under the first order's key either, where it would get the first order's session back.
 */
export async function upstreamKeyFor(
  client: string,
  path: string,
  browserKey: string,
  jti: string | null = null,
): Promise<string> {
  const scope = jti === null ? '' : `\n${jti}`;
  return `bollard-sf-${(await sha256Hex(`${client}\n${path}\n${browserKey}${scope}`)).slice(0, 40)}`;
}
