import { DurableObject } from 'cloudflare:workers';
import { minimalScopes } from '../../catalog';
import { allowedEntries } from '../model/policy';
import type { AgentView, Grants } from '../model/types';
import { agentView, type DirectoryRow } from './agent/profile';
import { ApprovalIndex, type ApprovalIndexFilter, type ApprovalIndexRow } from './approval-index';
import { ensureColumns } from './entry-rows';

export interface AgentPage {
  total_count: number;
  limit: number;
  skip: number;
  data: AgentView[];
}

/**
 * The list of agents (`GET /admin/agents`) and the union of their upstream scopes, without asking every
 * agent object. Written only by the agent objects, after each of their admin writes (`upsert`, retried
 * by their alarm on failure); a row only moves forward (`version`). Never on a call's path, and never
 * the source of truth for a call: that is the agent's own object. It also indexes every agent's approvals
 * (approval-index.ts). One instance (`agentDirectory(env)`, stubs.ts).
 */
export class AgentDirectory extends DurableObject<Env> {
  readonly #approvals: ApprovalIndex;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        grants TEXT NOT NULL,
        limits TEXT NOT NULL,
        scope TEXT,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        key_issued_at INTEGER NOT NULL,
        key_prefix TEXT NOT NULL,
        revoked_at INTEGER,
        version INTEGER NOT NULL,
        approval TEXT
      );
      CREATE INDEX IF NOT EXISTS agents_created ON agents (created_at, id);
    `);
    // Directories made before approvals, or object scope (issue 18; null: every area `any`), existed.
    ensureColumns(ctx.storage.sql, 'agents', { approval: 'TEXT', scope: 'TEXT' });
    this.#approvals = new ApprovalIndex(ctx.storage.sql);
  }

  upsert(row: DirectoryRow): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO agents (id, name, grants, limits, scope, expires_at, created_at, updated_at, key_issued_at,
         key_prefix, revoked_at, version, approval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, grants = excluded.grants, limits = excluded.limits,
         scope = excluded.scope,
         expires_at = excluded.expires_at, updated_at = excluded.updated_at, key_issued_at = excluded.key_issued_at,
         key_prefix = excluded.key_prefix, revoked_at = excluded.revoked_at, version = excluded.version,
         approval = excluded.approval
       WHERE excluded.version > agents.version`,
      row.id,
      row.name,
      row.grants,
      row.limits,
      row.scope ?? null,
      row.expires_at,
      row.created_at,
      row.updated_at,
      row.key_issued_at,
      row.key_prefix,
      row.revoked_at,
      row.version,
      row.approval,
    );
  }

  list(options: { limit: number; skip: number }, nowMs: number = Date.now()): AgentPage {
    const sql = this.ctx.storage.sql;
    const total = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM agents').one().n;
    const rows = sql
      .exec<DirectoryRow & Record<string, SqlStorageValue>>(
        'SELECT * FROM agents ORDER BY created_at, id LIMIT ? OFFSET ?',
        options.limit,
        options.skip,
      )
      .toArray();
    return {
      total_count: total,
      limit: options.limit,
      skip: options.skip,
      data: rows.map((r) => agentView(r, nowMs)),
    };
  }

  /** Up to `n` agent ids picked at random, and how many agents there are (the status page's size sample). */
  sample(n: number): { total: number; ids: string[] } {
    const sql = this.ctx.storage.sql;
    const total = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM agents').one().n;
    const ids = sql
      .exec<{ id: string }>('SELECT id FROM agents ORDER BY random() LIMIT ?', n)
      .toArray()
      .map((r) => r.id);
    return { total, ids };
  }

  // ── approvals (approval-index.ts): `GET /admin/approvals` across agents ──

  /** Rows an agent object sends about its approvals (a row only moves forward). */
  upsertApprovals(rows: ApprovalIndexRow[], nowMs: number = Date.now()): void {
    this.#approvals.upsert(rows, nowMs);
  }

  /** A page of approval ids (newest first) matching the filter, and how many match. */
  listApprovals(
    filter: ApprovalIndexFilter,
    limit: number,
    skip: number,
  ): { total_count: number; rows: Array<{ id: string; agent_id: string }> } {
    return this.#approvals.list(filter, limit, skip);
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /**
   * The least OAuth scopes that cover every active (unrevoked, unexpired) agent's grants: what a single
   * upstream credential for the whole agents surface would need. Empty when no agent is active.
   */
  upstreamScopes(nowMs: number = Date.now()): string[] {
    const rows = this.ctx.storage.sql
      .exec<{ grants: string }>(
        'SELECT grants FROM agents WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
        nowMs,
      )
      .toArray();
    return minimalScopes(rows.flatMap((r) => allowedEntries(JSON.parse(r.grants) as Grants)));
  }
}
