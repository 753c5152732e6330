import type { CatalogEntry } from '../catalog';
import { idempotencyKeyFor } from '../checkout/idempotency';
import type { CallContext } from './call';

/**
 * The outbound client's rule for a `Cko-Idempotency-Key` (`src/checkout/idempotency.ts`): 1-255 visible
 * ASCII characters. Checked here first, so that the refusal names the caller's own field and is audited.
 */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return VALID_KEY.test(key);
}

/** The refusal text for a bad key, naming the field the caller used on its surface. */
export function invalidKeyMessage(channel: CallContext['channel']): string {
  const field = channel === 'rest' ? 'the Cko-Idempotency-Key header' : 'the idempotency_key argument';
  return `${field} must be 1-255 visible ASCII characters (no spaces)`;
}

/**
 * The key a call is sent with: the caller's, else a fresh one for money-moving writes and voids (as the
 * outbound client would generate), else none. Chosen here rather than in the client so that Bollard knows
 * it before sending: the day's spend is reserved under it, and it is returned on every answer, the 504 of
 * an unknown outcome included, for the caller to retry with.
 */
export function keyForCall(entry: CatalogEntry, given: string | undefined): string | null {
  return idempotencyKeyFor(entry, given, () => crypto.randomUUID());
}

/** Whether a call without a caller's key gets one (money-moving writes and voids), by the client's rule. */
export function generatesKey(entry: CatalogEntry): boolean {
  return idempotencyKeyFor(entry, undefined, () => 'generated') !== null;
}

/**
 * What a key was used on: Checkout.com (and the simulator) scope a key's stored answer to one request,
 * so the same key on another payment's capture is another call and holds its own reservation.
 */
export function holdScope(entry: CatalogEntry, params: Readonly<Record<string, string>>): string {
  const ids = Object.entries(params)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return [entry.name, ...ids].join(' ');
}
