import { minimalScopes } from '../../../catalog';
import { hashAgentKey, issueAgentKey, KEY_PREFIX_LENGTH } from '../../model/keys';
import { allowedEntries } from '../../model/policy';
import type { CreateAgentInput, PatchAgentInput } from '../../model/types';
import { identity, type ProfileRow } from './profile';

/**
 * The operator's writes to an agent's profile: its row, its key (only the SHA-256 and a display prefix are
 * stored) and its grants and limits. Each bumps `version`, which the directory keeps the highest of.
 */

/** Inserts the agent's row with a new key, and returns the key (the only time it is visible). */
export async function insertAgent(
  sql: SqlStorage,
  id: string,
  input: CreateAgentInput,
  nowMs: number,
): Promise<string> {
  const key = issueAgentKey(id);
  sql.exec(
    `INSERT INTO agent (id, name, key_hash, key_prefix, grants, limits, scope, expires_at, created_at, updated_at,
       key_issued_at, revoked_at, version, approval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?)`,
    id,
    input.name,
    await hashAgentKey(key),
    key.slice(0, KEY_PREFIX_LENGTH),
    JSON.stringify(input.grants),
    JSON.stringify(input.limits),
    JSON.stringify(input.scope),
    input.expires_at === null ? null : Date.parse(input.expires_at),
    nowMs,
    nowMs,
    nowMs,
    input.approval === null ? null : JSON.stringify(input.approval),
  );
  return key;
}

/**
 * Replaces the given fields. Grants, scope and limits are replaced whole, not merged, so the result is
 * explicit. Changing grants keeps the stored scope: an area it does not name takes its new grant's default.
 */
export function updateAgent(sql: SqlStorage, row: ProfileRow, patch: PatchAgentInput, nowMs: number): void {
  sql.exec(
    `UPDATE agent SET name = ?, grants = ?, limits = ?, scope = ?, expires_at = ?, updated_at = ?,
       version = version + 1, approval = ?`,
    patch.name ?? row.name,
    patch.grants ? JSON.stringify(patch.grants) : row.grants,
    patch.limits ? JSON.stringify(patch.limits) : row.limits,
    patch.scope ? JSON.stringify(patch.scope) : row.scope,
    patch.expires_at === undefined
      ? row.expires_at
      : patch.expires_at === null
        ? null
        : Date.parse(patch.expires_at),
    nowMs,
    patch.approval === undefined
      ? row.approval
      : patch.approval === null
        ? null
        : JSON.stringify(patch.approval),
  );
}

/** Stores a new key for the agent and returns it; the old one stops working at once. */
export async function rotateKey(sql: SqlStorage, row: ProfileRow, nowMs: number): Promise<string> {
  const key = issueAgentKey(row.id);
  sql.exec(
    'UPDATE agent SET key_hash = ?, key_prefix = ?, key_issued_at = ?, updated_at = ?, version = version + 1',
    await hashAgentKey(key),
    key.slice(0, KEY_PREFIX_LENGTH),
    nowMs,
    nowMs,
  );
  return key;
}

/** Marks the agent revoked for good (the row stays, for the audit trail). */
export function revokeAgent(sql: SqlStorage, nowMs: number): void {
  sql.exec('UPDATE agent SET revoked_at = ?, updated_at = ?, version = version + 1', nowMs, nowMs);
}

/** The OAuth scopes the agent's calls need (its grants' minimal scopes); none without a profile. */
export function profileScopes(row: ProfileRow | undefined): string[] {
  return row ? minimalScopes(allowedEntries(identity(row).grants)) : [];
}
