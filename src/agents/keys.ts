import { randomBase32 } from '../http';

/** Agent keys: `bak_` + 40 base32 chars (200 bits). The log redactor already masks this shape. */
const KEY_SHAPE = /^bak_[a-z2-7]{40}$/;

/** A new agent key. Shown to the operator once; only its SHA-256 is stored. */
export function newAgentKey(): string {
  return `bak_${randomBase32(40)}`;
}

/** A new agent id in Checkout.com's id style. */
export function newAgentId(): string {
  return `agt_${randomBase32(26)}`;
}

export function isAgentKeyShape(value: string): boolean {
  return KEY_SHAPE.test(value);
}

/** Lowercase hex SHA-256 of a key: the only form in which a key is stored or compared. */
export async function hashAgentKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export type PresentedKey = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'key'; key: string };

/**
 * Reads the agent key from `Authorization`, accepted as `Bearer <key>` or bare — the two forms
 * Checkout.com accepts for its own keys, so an SDK given the agent key as its secret key works.
 */
export function presentedKey(authorization: string | undefined | null): PresentedKey {
  const raw = authorization?.trim();
  if (!raw || /^Bearer$/i.test(raw)) return { kind: 'missing' };
  const bearer = /^Bearer\s+(\S+)$/i.exec(raw);
  const candidate = bearer ? bearer[1] : raw;
  if (candidate === undefined || !isAgentKeyShape(candidate)) return { kind: 'malformed' };
  return { kind: 'key', key: candidate };
}
