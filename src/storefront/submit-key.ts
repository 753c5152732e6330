import { sha256Hex } from './idempotency';

/**
 * The one `Cko-Idempotency-Key` of a logical payment-session submit, end to end: the browser sends it
 * (or Bollard derives it), Bollard sends it upstream on every attempt, and every answer — 2xx, error or
 * `504 upstream_outcome_unknown` — returns it in the `Cko-Idempotency-Key` header, so the page can retry
 * with it and get the original outcome instead of a second payment.
 *
 * Keys are scoped to the session: `<session id>.<rest>`. Checkout.com keeps a key for 24 hours and does
 * not document whether it is scoped to the path, so a browser's key reused on another session must not
 * be able to replay that session's answer ("approved" for a payment that never happened). A key that is
 * already this session's (the one an earlier answer returned) is used as it is, so retrying with the
 * returned header value reaches the same key.
 */

/** Checkout.com's bound on the header (and the outbound client's check). */
const MAX_KEY_LENGTH = 255;

export type SubmitKeySource = 'caller' | 'derived';

export interface SubmitKey {
  key: string;
  /** Whether the browser named the key (`Idempotency-Key`) or Bollard derived it from the submit. */
  source: SubmitKeySource;
}

/**
 * The submit's key. With the browser's `Idempotency-Key`: that key, scoped to the session (a long one
 * is hashed to fit). Without: derived from the session and a hash of `session_data`, so a double click
 * (same card token) gets the same key and pays once, and a second attempt with another card gets
 * another key.
 *
 * @example
 * await submitKeyFor('ps_2Un6…', 'c0ffee-uuid', 'tok_…'); // { key: 'ps_2Un6….c0ffee-uuid', source: 'caller' }
 */
export async function submitKeyFor(
  sessionId: string,
  browserKey: string | null,
  sessionData: string,
): Promise<SubmitKey> {
  const prefix = `${sessionId}.`;
  if (browserKey === null) {
    // The hash is one-way: the key never carries the token or Flow's session data itself.
    const digest = await sha256Hex(`submit\n${sessionId}\n${sessionData}`);
    return { key: `${prefix}d-${digest.slice(0, 48)}`, source: 'derived' };
  }
  if (browserKey.startsWith(prefix)) return { key: browserKey, source: 'caller' };
  const scoped = `${prefix}${browserKey}`;
  if (scoped.length <= MAX_KEY_LENGTH) return { key: scoped, source: 'caller' };
  return { key: `${prefix}h-${(await sha256Hex(browserKey)).slice(0, 48)}`, source: 'caller' };
}
