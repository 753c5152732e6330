import type { ApprovalPolicy } from '../../model/approval-policy';
import { type Scopes, scopeView } from '../../model/scope';
import type { AgentLimits, AgentView, Grants } from '../../model/types';

/** The agent's own row in its object (one row: `id` is the object's name). */
export interface ProfileRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  grants: string;
  limits: string;
  /** JSON `Scopes` as the operator set them; null for an agent made before object scope (all `any`). */
  scope: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  key_issued_at: number;
  revoked_at: number | null;
  /** Bumped on every write; the directory keeps the highest version it was sent. */
  version: number;
  /** The approval policy as JSON, or null (a column added later: `ensureColumns` in approvals-store.ts). */
  approval: string | null;
}

export const PROFILE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS agent (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    grants TEXT NOT NULL,
    limits TEXT NOT NULL,
    scope TEXT,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    key_issued_at INTEGER NOT NULL,
    revoked_at INTEGER,
    version INTEGER NOT NULL,
    approval TEXT
  );
`;

/** The agent a key belongs to, as the gateway needs it (never the key hash). */
export interface AuthenticatedAgent {
  id: string;
  name: string;
  grants: Grants;
  /** As stored: null for an agent made before object scope existed (model/scope.ts, `scopeOf`). */
  scope: Scopes | null;
  limits: AgentLimits;
  approval: ApprovalPolicy | null;
}

/** What the directory keeps per agent, to list agents and compute upstream scopes without asking each. */
export interface DirectoryRow {
  id: string;
  name: string;
  grants: string;
  limits: string;
  scope: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  key_issued_at: number;
  key_prefix: string;
  revoked_at: number | null;
  version: number;
  approval: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function agentStatus(
  row: { revoked_at: number | null; expires_at: number | null },
  nowMs: number,
): AgentView['status'] {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= nowMs) return 'expired';
  return 'active';
}

/** The admin view of an agent (the directory's rows have the same fields). */
export function agentView(row: DirectoryRow, nowMs: number): AgentView {
  const grants = JSON.parse(row.grants) as Grants;
  return {
    id: row.id,
    name: row.name,
    grants,
    scope: scopeView(storedScope(row.scope), grants),
    limits: JSON.parse(row.limits) as AgentLimits,
    expires_at: iso(row.expires_at),
    created_on: new Date(row.created_at).toISOString(),
    updated_on: new Date(row.updated_at).toISOString(),
    key_issued_on: new Date(row.key_issued_at).toISOString(),
    key_prefix: `${row.key_prefix}…`,
    revoked_on: iso(row.revoked_at),
    status: agentStatus(row, nowMs),
    approval: approvalOf(row.approval),
  };
}

export function directoryRow(row: ProfileRow): DirectoryRow {
  return {
    id: row.id,
    name: row.name,
    grants: row.grants,
    limits: row.limits,
    scope: row.scope,
    expires_at: row.expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    key_issued_at: row.key_issued_at,
    key_prefix: row.key_prefix,
    revoked_at: row.revoked_at,
    version: row.version,
    approval: row.approval ?? null,
  };
}

export function identity(row: ProfileRow): AuthenticatedAgent {
  return {
    id: row.id,
    name: row.name,
    grants: JSON.parse(row.grants) as Grants,
    scope: storedScope(row.scope),
    limits: JSON.parse(row.limits) as AgentLimits,
    approval: approvalOf(row.approval),
  };
}

function approvalOf(json: string | null | undefined): ApprovalPolicy | null {
  return json ? (JSON.parse(json) as ApprovalPolicy) : null;
}

/** The stored scope; null (no column value) for an agent made before object scope existed. */
function storedScope(json: string | null | undefined): Scopes | null {
  return typeof json === 'string' ? (JSON.parse(json) as Scopes) : null;
}

/** The agent's own row; none in `anonymous`, or in an object nobody created (no stores). */
export function profileOf(stores: { sql: SqlStorage } | null): ProfileRow | undefined {
  if (!stores) return undefined;
  return stores.sql.exec<ProfileRow>('SELECT * FROM agent LIMIT 1').toArray()[0];
}
