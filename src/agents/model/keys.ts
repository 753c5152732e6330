import { randomBase32 } from '../../http';

/**
 * Agent keys: `bak_<agent id body>_<secret>`, i.e. `bak_` + the 26 base32 characters of the agent's id
 * (`agt_<same 26>`) + `_` + 40 base32 characters (200 random bits). The id in the key tells the Worker
 * which agent object to call, so authentication is part of that object's one round trip; the secret is
 * what authenticates (only its SHA-256 is stored). The log redactor masks this shape (`bak_…`).
 *
 * The first format (`bak_` + 40 base32, no id) was never released: such keys are refused as
 * `agent_key_invalid` (docs/storage.md, "Before a first release").
 */
const KEY_SHAPE = /^bak_([a-z2-7]{26})_[a-z2-7]{40}$/;
const ID_SHAPE = /^agt_([a-z2-7]{26})$/;

/** How many characters of a key `key_prefix` shows: the id part and the secret's first four. */
export const KEY_PREFIX_LENGTH = 4 + 26 + 1 + 4;

/** A new key for an agent. Shown to the operator once; only its SHA-256 is stored. */
export function issueAgentKey(agentId: string): string {
  const body = ID_SHAPE.exec(agentId)?.[1];
  if (body === undefined) throw new TypeError('not an agent id');
  return `bak_${body}_${randomBase32(40)}`;
}

/** A new agent id in Checkout.com's id style. */
export function newAgentId(): string {
  return `agt_${randomBase32(26)}`;
}

export function isAgentId(value: string): boolean {
  return ID_SHAPE.test(value);
}

/** The agent id a well-formed key names (not proof of anything until the object checks the secret). */
export function agentIdOfKey(key: string): string | null {
  const body = KEY_SHAPE.exec(key)?.[1];
  return body === undefined ? null : `agt_${body}`;
}

/** Lowercase hex SHA-256 of a key: the only form in which a key is stored or compared. */
export async function hashAgentKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export type PresentedKey =
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'key'; key: string; agentId: string };

/**
 * Reads the agent key from `Authorization`, accepted as `Bearer <key>` or bare — the two forms
 * Checkout.com accepts for its own keys, so an SDK given the agent key as its secret key works.
 */
export function presentedKey(authorization: string | undefined | null): PresentedKey {
  const raw = authorization?.trim();
  if (!raw || /^Bearer$/i.test(raw)) return { kind: 'missing' };
  const bearer = /^Bearer\s+(\S+)$/i.exec(raw);
  const candidate = bearer ? bearer[1] : raw;
  const agentId = candidate === undefined ? null : agentIdOfKey(candidate);
  if (candidate === undefined || agentId === null) return { kind: 'malformed' };
  return { kind: 'key', key: candidate, agentId };
}
