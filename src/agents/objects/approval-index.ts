import type { ApprovalStatus } from '../model/approval-view';

/**
 * The directory's index of every agent's approvals, for `GET /admin/approvals` without asking every agent
 * object: one small row per approval (id, agent, status, times), never the body or the decisions — those
 * stay in the agent's object, which the listing asks for the page it shows. Written only by the agent
 * objects (their alarm, and right after a decision); a row only moves forward (`version`). Bounded: rows of
 * finished approvals go with the agents' own, after `APPROVAL_RETENTION_MS` (plus a day, so the index never
 * names an approval its object still holds without it).
 */

/** What an agent object sends about one approval. */
export interface ApprovalIndexRow {
  id: string;
  agent_id: string;
  status: ApprovalStatus;
  requested_at: number;
  expires_at: number;
  version: number;
}

export interface ApprovalIndexFilter {
  status?: ApprovalStatus;
  agent_id?: string;
}

/** How long an approval that ended (declined, expired, executed) is kept, in the agent's object. */
export const APPROVAL_RETENTION_MS = 30 * 86_400_000;
const INDEX_MARGIN_MS = 86_400_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS approvals_index (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS approvals_index_status ON approvals_index (status, requested_at);
  CREATE INDEX IF NOT EXISTS approvals_index_agent ON approvals_index (agent_id, requested_at);
  CREATE INDEX IF NOT EXISTS approvals_index_time ON approvals_index (requested_at);
`;

const TERMINAL = "('declined', 'expired', 'executed')";

export class ApprovalIndex {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
  }

  upsert(rows: readonly ApprovalIndexRow[], nowMs: number): void {
    for (const r of rows)
      this.#sql.exec(
        `INSERT INTO approvals_index (id, agent_id, status, requested_at, expires_at, version)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, expires_at = excluded.expires_at,
           version = excluded.version
         WHERE excluded.version > approvals_index.version`,
        r.id,
        r.agent_id,
        r.status,
        r.requested_at,
        r.expires_at,
        r.version,
      );
    this.#sql.exec(
      `DELETE FROM approvals_index WHERE status IN ${TERMINAL} AND requested_at < ?`,
      nowMs - APPROVAL_RETENTION_MS - INDEX_MARGIN_MS,
    );
  }

  /** A page of ids, newest first, and how many match. */
  list(
    filter: ApprovalIndexFilter,
    limit: number,
    skip: number,
  ): { total_count: number; rows: Array<{ id: string; agent_id: string }> } {
    const conditions: string[] = [];
    const args: SqlStorageValue[] = [];
    if (filter.status !== undefined) {
      conditions.push('status = ?');
      args.push(filter.status);
    }
    if (filter.agent_id !== undefined) {
      conditions.push('agent_id = ?');
      args.push(filter.agent_id);
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const total = this.#sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM approvals_index ${where}`, ...args)
      .one().n;
    const rows = this.#sql
      .exec<{ id: string; agent_id: string }>(
        `SELECT id, agent_id FROM approvals_index ${where} ORDER BY requested_at DESC, id LIMIT ? OFFSET ?`,
        ...args,
        limit,
        skip,
      )
      .toArray();
    return { total_count: total, rows };
  }
}
