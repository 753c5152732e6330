/**
 * What the Durable Objects know about the audit archive (the archive itself is in R2: src/proof/
 * archive-writer.ts). The global `AuditIndex` keeps, per chain, the last head written to the archive (which
 * chains are behind, the archive's status, and the cap on pruning its own copies), and the run lease; each
 * chain's own object keeps how far it is archived (the cap on pruning the chain). R2 is the source of
 * truth: a lost or stale row here is rebuilt from the archive's listing on the next run.
 */

export const INDEX_ARCHIVE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS archive_heads (
    chain TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    archived_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS archive_run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT,
    lease_until INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    report TEXT
  );
`;

/** The last signed head of one chain in the archive. */
export interface ArchivedHead {
  seq: number;
  hash: string;
  /** The head object's key (`heads/<chain>/<seq>.jws`). */
  key: string;
  /** Entries of the chain archived through `seq`. */
  count: number;
  /** The head entry's own time. */
  at_ms: number;
}

/** A chain whose forwarded head is past its archived head. */
export interface ArchiveTask {
  chain: string;
  head_seq: number;
  archived: ArchivedHead | null;
}

/** One chain's archive lag, for `GET /admin/status` and `GET /admin/audit/archive`. */
export interface ChainArchiveState {
  chain: string;
  head_seq: number;
  archived_seq: number;
  archived_hash: string | null;
  archived_key: string | null;
  archived_at: string | null;
  lag_entries: number;
  /** Seconds since the oldest entry not yet archived (0 when none). */
  lag_seconds: number;
}

export interface ArchiveSummary {
  chains: number;
  archived_chains: number;
  lagging_chains: number;
  /** Entries forwarded to the index but not archived yet, over every chain. */
  lag_entries: number;
  /** Seconds since the oldest entry not yet archived, over every chain (0 when none). */
  max_lag_seconds: number;
  last_run: { started_at: string | null; finished_at: string | null; report: unknown } | null;
  running: boolean;
}

type Row = Record<string, SqlStorageValue>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The index's side: one row per archived chain, and the lease that keeps archive runs one at a time. */
export class ArchiveLedger {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(INDEX_ARCHIVE_SCHEMA);
  }

  /** Chains (of the index's `chains`) with entries past their archived head, by name after `afterChain`. */
  plan(afterChain: string, limit: number): ArchiveTask[] {
    return this.#sql
      .exec<Row>(
        `SELECT c.chain AS chain, c.head_seq AS head_seq, a.seq AS seq, a.hash AS hash, a.key AS key,
           a.count AS count, a.at_ms AS at_ms
         FROM chains c LEFT JOIN archive_heads a ON a.chain = c.chain
         WHERE c.chain > ? AND c.head_seq > COALESCE(a.seq, 0) ORDER BY c.chain LIMIT ?`,
        afterChain,
        limit,
      )
      .toArray()
      .map((r) => ({
        chain: String(r.chain),
        head_seq: Number(r.head_seq),
        archived:
          r.seq === null
            ? null
            : {
                seq: Number(r.seq),
                hash: String(r.hash),
                key: String(r.key),
                count: Number(r.count),
                at_ms: Number(r.at_ms),
              },
      }));
  }

  /** Records a chain's new archived head; it only moves forward. */
  mark(chain: string, head: ArchivedHead, nowMs: number): void {
    this.#sql.exec(
      `INSERT INTO archive_heads (chain, seq, hash, key, count, at_ms, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, key = excluded.key,
         count = excluded.count, at_ms = excluded.at_ms, archived_at = excluded.archived_at
       WHERE excluded.seq >= archive_heads.seq`,
      chain,
      head.seq,
      head.hash,
      head.key,
      head.count,
      head.at_ms,
      nowMs,
    );
  }

  /** Takes the run lease unless another holder has it until later than now. */
  lease(holder: string, nowMs: number, ttlMs: number): boolean {
    const row = this.#sql
      .exec<{ holder: string | null; lease_until: number | null }>(
        'SELECT holder, lease_until FROM archive_run WHERE id = 1',
      )
      .toArray()[0];
    if (row?.holder && row.holder !== holder && (row.lease_until ?? 0) > nowMs) return false;
    this.#sql.exec(
      `INSERT INTO archive_run (id, holder, lease_until, started_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until,
         started_at = excluded.started_at`,
      holder,
      nowMs + ttlMs,
      nowMs,
    );
    return true;
  }

  /** Ends a run: gives the lease back and keeps its report (JSON) for the status. */
  release(holder: string, report: unknown, nowMs: number): void {
    this.#sql.exec(
      `UPDATE archive_run SET holder = NULL, lease_until = NULL, finished_at = ?, report = ?
       WHERE id = 1 AND holder = ?`,
      nowMs,
      JSON.stringify(report),
      holder,
    );
  }

  /** Each chain's archive lag, the most behind first (`limit` rows after skipping `skip`). */
  chains(nowMs: number, limit: number, skip = 0): ChainArchiveState[] {
    return this.#sql
      .exec<Row>(
        `SELECT c.chain AS chain, c.head_seq AS head_seq, COALESCE(a.seq, 0) AS archived_seq,
           a.hash AS hash, a.key AS key, a.archived_at AS archived_at,
           (SELECT e.at_ms FROM entries e WHERE e.chain = c.chain AND e.seq > COALESCE(a.seq, 0)
             ORDER BY e.seq LIMIT 1) AS oldest
         FROM chains c LEFT JOIN archive_heads a ON a.chain = c.chain
         ORDER BY (c.head_seq - COALESCE(a.seq, 0)) DESC, c.chain LIMIT ? OFFSET ?`,
        limit,
        skip,
      )
      .toArray()
      .map((r) => {
        const lag = Math.max(0, Number(r.head_seq) - Number(r.archived_seq));
        const oldest = r.oldest === null ? null : Number(r.oldest);
        return {
          chain: String(r.chain),
          head_seq: Number(r.head_seq),
          archived_seq: Number(r.archived_seq),
          archived_hash: r.hash === null ? null : String(r.hash),
          archived_key: r.key === null ? null : String(r.key),
          archived_at: iso(r.archived_at === null ? null : Number(r.archived_at)),
          lag_entries: lag,
          lag_seconds: lag > 0 && oldest !== null ? Math.max(0, Math.round((nowMs - oldest) / 1000)) : 0,
        };
      });
  }

  summary(nowMs: number): ArchiveSummary {
    const sql = this.#sql;
    const totals = sql
      .exec<{ chains: number; archived: number; lagging: number; lag: number | null }>(
        `SELECT COUNT(*) AS chains, COUNT(a.chain) AS archived,
           SUM(CASE WHEN c.head_seq > COALESCE(a.seq, 0) THEN 1 ELSE 0 END) AS lagging,
           SUM(MAX(0, c.head_seq - COALESCE(a.seq, 0))) AS lag
         FROM chains c LEFT JOIN archive_heads a ON a.chain = c.chain`,
      )
      .one();
    const oldest = sql
      .exec<{ oldest: number | null }>(
        `SELECT MIN(e.at_ms) AS oldest FROM chains c LEFT JOIN archive_heads a ON a.chain = c.chain
         JOIN entries e ON e.chain = c.chain AND e.seq = COALESCE(a.seq, 0) + 1`,
      )
      .one().oldest;
    const run = sql
      .exec<{
        holder: string | null;
        lease_until: number | null;
        started_at: number | null;
        finished_at: number | null;
        report: string | null;
      }>('SELECT holder, lease_until, started_at, finished_at, report FROM archive_run WHERE id = 1')
      .toArray()[0];
    return {
      chains: totals.chains,
      archived_chains: totals.archived,
      lagging_chains: totals.lagging ?? 0,
      lag_entries: totals.lag ?? 0,
      max_lag_seconds: oldest === null ? 0 : Math.max(0, Math.round((nowMs - oldest) / 1000)),
      last_run: run
        ? {
            started_at: iso(run.started_at),
            finished_at: iso(run.finished_at),
            report: run.report === null ? null : (JSON.parse(run.report) as unknown),
          }
        : null,
      running: Boolean(run?.holder && (run.lease_until ?? 0) > nowMs),
    };
  }
}

export const CHAIN_ARCHIVED_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chain_archived (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    archived_at INTEGER NOT NULL
  );
`;

/** A chain's own object's side: how far the archive holds it (pruning never passes this). */
export class ChainArchiveMark {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(CHAIN_ARCHIVED_SCHEMA);
  }

  /** The last archived seq (0: nothing archived yet). */
  seq(): number {
    return (
      this.#sql.exec<{ seq: number }>('SELECT seq FROM chain_archived WHERE id = 1').toArray()[0]?.seq ?? 0
    );
  }

  /**
   * Records that the archive holds the chain through `seq`, whose hash is `hash` — only when that is this
   * chain's own entry at `seq` (`hashAt`: its hash, the pruning anchor's, or null when it has no such entry).
   * Returns whether the mark moved forward, or `diverged` when the archive's head is not this chain's.
   */
  mark(
    seq: number,
    hash: string,
    hashAt: (seq: number) => string | null,
    nowMs: number,
  ): boolean | 'diverged' {
    const own = hashAt(seq);
    if (own !== hash) return 'diverged';
    if (seq <= this.seq()) return false;
    this.#sql.exec(
      `INSERT INTO chain_archived (id, seq, hash, archived_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, archived_at = excluded.archived_at`,
      seq,
      hash,
      nowMs,
    );
    return true;
  }
}
