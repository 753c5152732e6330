import type { CatalogEntry } from '../../catalog';
import { idempotencyKeyFor } from '../../checkout/idempotency';
import type { EntryInput } from './audit-entry';

/**
 * The outbound client's rule for a `Cko-Idempotency-Key` (`src/checkout/idempotency.ts`): 1-255 visible
 * ASCII characters. Checked here first, so that the refusal names the caller's own field and is audited.
 */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return VALID_KEY.test(key);
}

/** The refusal text for a bad key, naming the field the caller used on its surface. */
export function invalidKeyMessage(channel: EntryInput['channel']): string {
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

/**
 * The key sent upstream for an agent's key: scoped to the agent, so one agent cannot replay another's
 * stored answer (Checkout.com keeps a key's answer for 24 h, for the whole account) by guessing or reusing
 * its key. The agent only ever sees, sends and retries with its own key; the scoping is Bollard's.
 * Too long for Checkout.com's 255 characters once prefixed, the key is hashed instead.
 */
export async function upstreamKeyFor(agentId: string, key: string): Promise<string> {
  const scoped = `${agentId}.${key}`;
  if (scoped.length <= 255) return scoped;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return `${agentId}.h-${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
