import type { CatalogEntry } from '../catalog';
import { BollardError } from '../http/errors';

/** Header Checkout.com reads idempotency keys from (facts §5). */
export const IDEMPOTENCY_HEADER = 'Cko-Idempotency-Key';

// Visible ASCII only, bounded: the key is echoed into logs and stored upstream for 24 h.
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Writes Checkout.com documents `Cko-Idempotency-Key` support for (facts §5). Voids do not move money in
 * the catalog's sense, but they are documented as idempotent, so they get a key and so can be retried.
 */
const DOCUMENTED_IDEMPOTENT = new Set([
  'requestPayment',
  'capturePayment',
  'refundPayment',
  'voidPayment',
  'incrementAuthorization',
  'createTransfer',
]);

/**
 * The idempotency key for one logical call: the caller's, else a fresh one for money-moving writes (and
 * the documented idempotent ones), else none. The same key is sent on every attempt of that call, which
 * is what makes retrying a write safe.
 */
export function idempotencyKeyFor(
  entry: CatalogEntry,
  given: string | undefined,
  generate: () => string,
): string | null {
  if (given !== undefined) {
    if (!VALID_KEY.test(given)) {
      throw new BollardError('request_invalid', {
        codes: ['idempotency_key_invalid'],
        message: 'the idempotency key must be 1-255 visible ASCII characters',
      });
    }
    return given;
  }
  return entry.access === 'write' && (entry.movesMoney || DOCUMENTED_IDEMPOTENT.has(entry.name))
    ? generate()
    : null;
}

/**
 * Whether a call may be sent more than once. Reads may. A write only with an idempotency key: without
 * one, a 5xx or a timeout leaves it unknown whether Checkout.com acted, and a second attempt could charge
 * twice.
 */
export function mayRetry(entry: CatalogEntry, idempotencyKey: string | null): boolean {
  return entry.access === 'read' || idempotencyKey !== null;
}
