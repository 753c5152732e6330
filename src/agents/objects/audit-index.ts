import { DurableObject } from 'cloudflare:workers';
import { createHash } from 'node:crypto';
import { ANONYMOUS_CHAIN, type AuditEntry, GENESIS_HASH } from '../model/audit-entry';
import { auditRetention } from '../model/retention';
import {
  type ArchivedHead,
  ArchiveLedger,
  type ArchiveSummary,
  type ArchiveTask,
  type ChainArchiveState,
} from '../proof/archive-ledger';
import { type AuditFilter, type AuditPage, CALLS_SCHEMA, CallsProjection } from './audit-calls';
import {
  ENTRY_COLUMNS,
  ENTRY_COLUMNS_SQL,
  ensureColumns,
  entryValues,
  LATER_ENTRY_COLUMNS,
  rowToEntry,
} from './entry-rows';

/** Entries the index prunes per alarm at most; it comes back this soon while more are due. */
export const INDEX_PRUNE_BATCH = 500;
const PRUNE_AGAIN_MS = 1_000;
/** While it holds entries, the index looks at least this often (a shorter retention takes effect). */
const PRUNE_CHECK_MAX_MS = 60 * 60 * 1000;

/** One chain's range to verify: from its checkpoint to the head the index was sent. */
export interface VerifyTask {
  chain: string;
  from_seq: number;
  from_hash: string;
  to_seq: number;
  to_hash: string;
  /** The first entry whose link did not match the index's copy on arrival, if any. */
  mismatch_seq: number | null;
}

export interface IndexSummary {
  chains: number;
  /** Entries the index holds (every chain, up to its forwarded head). */
  entries: number;
  /** Entries covered by verified checkpoints. */
  verified: number;
  calls: number;
  /**
   * One digest of every chain's verified checkpoint: sha256 of the lines `<chain> <seq> <hash>\n`, sorted
   * by chain. Kept elsewhere, it shows later whether any chain lost entries it had when it was taken.
   */
  head: string;
}

/**
 * Where the index's copy of a chain starts after pruning: the NDJSON export's `checkpoint` line
 * (`docs/verify-audit.mjs` verifies the chain's entries from it).
 */
export interface ChainAnchor {
  chain: string;
  seq: number;
  hash: string;
  /** Entries pruned from the copy: always `seq` (a chain only ever loses a prefix). */
  count: number;
  /** The last pruned entry's time. */
  at_ms: number;
  pruned_at: number;
}

export interface ExportPage {
  entries: AuditEntry[];
  /** Cursor for the next page. */
  last: number;
}

const INSERT = `INSERT OR IGNORE INTO entries (chain, ${ENTRY_COLUMNS.join(', ')})
  VALUES (?, ${ENTRY_COLUMNS.map(() => '?').join(', ')})`;

function entryWhere(filter: AuditFilter): { clause: string; args: SqlStorageValue[] } {
  const conditions: Array<[string, SqlStorageValue | undefined]> = [
    ['agent_id = ?', filter.agent_id],
    ['at_ms >= ?', filter.from_ms],
    ['at_ms < ?', filter.to_ms],
    ['decision = ?', filter.decision],
    ['area = ?', filter.area],
  ];
  const used = conditions.filter(([, v]) => v !== undefined);
  return {
    clause: used.map(([sql]) => ` AND ${sql}`).join(''),
    args: used.map(([, v]) => v as SqlStorageValue),
  };
}

/**
 * The global view of every agent's audit chain, fed asynchronously: each agent object's alarm forwards
 * its new entries here in batches (`ingest`), at most `FLUSH_DELAY_MS` after they were appended (or
 * after a failed forward, on the next alarm with backoff). `/admin/audit` without `agent=` reads here, so
 * a query never fans out to the agent objects. Also keeps, per chain, the head it was sent and the last
 * verified checkpoint, so a global verification only checks what is new. One instance.
 */
export class AuditIndex extends DurableObject<Env> {
  readonly #calls: CallsProjection;
  /** The audit archive's heads per chain (src/proof): what may be pruned, and the archive's status. */
  readonly #archive: ArchiveLedger;
  /** Whether this instance knows an alarm is set (the alarm is what prunes). */
  #alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS entries (chain TEXT NOT NULL, ${ENTRY_COLUMNS_SQL}, PRIMARY KEY (chain, seq));
      CREATE TABLE IF NOT EXISTS chains (
        chain TEXT PRIMARY KEY,
        head_seq INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        mismatch_seq INTEGER
      );
      CREATE TABLE IF NOT EXISTS checkpoints (
        chain TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        verified_at INTEGER NOT NULL
      );
    `);
    ensureColumns(ctx.storage.sql, 'entries', LATER_ENTRY_COLUMNS);
    // Pruning: where each chain's copy now starts, and the time of its oldest entry held.
    ensureColumns(ctx.storage.sql, 'chains', {
      pruned_seq: 'INTEGER NOT NULL DEFAULT 0',
      pruned_hash: 'TEXT',
      pruned_at_ms: 'INTEGER',
      pruned_at: 'INTEGER',
      oldest_at_ms: 'INTEGER',
    });
    ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS chains_oldest ON chains (oldest_at_ms)');
    ctx.storage.sql.exec(CALLS_SCHEMA);
    this.#calls = new CallsProjection(ctx.storage.sql);
    this.#archive = new ArchiveLedger(ctx.storage.sql);
  }

  /**
   * Takes a batch of a chain's entries, in order. Entries it already has are skipped; a gap stops the
   * batch (the sender resends from the returned head). A link that does not continue the head it holds
   * is kept and flagged (`mismatch_seq`), for verification to report.
   */
  async ingest(chain: string, entries: AuditEntry[]): Promise<{ head_seq: number }> {
    const sql = this.ctx.storage.sql;
    const row = sql
      .exec<{
        head_seq: number;
        head_hash: string;
        mismatch_seq: number | null;
        oldest_at_ms: number | null;
      }>('SELECT head_seq, head_hash, mismatch_seq, oldest_at_ms FROM chains WHERE chain = ?', chain)
      .toArray()[0];
    let seq = row?.head_seq ?? 0;
    let hash = row?.head_hash ?? GENESIS_HASH;
    let mismatch = row?.mismatch_seq ?? null;
    let oldest = row?.oldest_at_ms ?? null;
    for (const entry of entries) {
      if (entry.seq <= seq) continue;
      if (entry.seq !== seq + 1 || entry.chain !== chain) break;
      if (entry.prev_hash !== hash && mismatch === null) mismatch = entry.seq;
      sql.exec(INSERT, chain, ...entryValues(entry));
      this.#calls.apply(entry);
      oldest ??= entry.at_ms;
      seq = entry.seq;
      hash = entry.hash;
    }
    sql.exec(
      `INSERT INTO chains (chain, head_seq, head_hash, mismatch_seq, oldest_at_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (chain) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash,
         mismatch_seq = excluded.mismatch_seq, oldest_at_ms = excluded.oldest_at_ms`,
      chain,
      seq,
      hash,
      mismatch,
      oldest,
    );
    if (!this.#alarmSet) await this.#ensureAlarm(Date.now() + PRUNE_CHECK_MAX_MS);
    return { head_seq: seq };
  }

  /**
   * One bounded pruning pass (the alarm runs it): at most `INDEX_PRUNE_BATCH` entries, oldest chains
   * first, each chain's copy losing a prefix of entries older than its window (`AUDIT_INDEX_RETENTION_DAYS`,
   * the anonymous window for `anonymous`), with their calls. Each chain keeps its anchor (`pruned_seq`,
   * `pruned_hash`), which the export writes as a `checkpoint` line. `nowMs` is injectable for tests.
   */
  prune(nowMs: number = Date.now()): { pruned: number; more: boolean } {
    const sql = this.ctx.storage.sql;
    const r = auditRetention(this.env);
    const cutoffs = [nowMs - r.indexAnonymousMs, nowMs - r.indexMs] as const;
    // Only what the audit archive holds (`archive_heads`, src/proof) may go: unarchived copies stay.
    const due = (limit: number) =>
      sql
        .exec<{ chain: string; pruned_seq: number; archived_seq: number }>(
          `SELECT c.chain AS chain, c.pruned_seq AS pruned_seq, a.seq AS archived_seq
             FROM chains c JOIN archive_heads a ON a.chain = c.chain
             WHERE c.oldest_at_ms IS NOT NULL AND c.pruned_seq < a.seq
             AND c.oldest_at_ms < (CASE WHEN c.chain = ? THEN ? ELSE ? END) ORDER BY c.oldest_at_ms LIMIT ?`,
          ANONYMOUS_CHAIN,
          ...cutoffs,
          limit,
        )
        .toArray();
    let budget = INDEX_PRUNE_BATCH;
    for (const c of due(100)) {
      if (budget === 0) break;
      const cutoff = c.chain === ANONYMOUS_CHAIN ? cutoffs[0] : cutoffs[1];
      const rows = sql
        .exec<{ seq: number; at_ms: number; hash: string }>(
          'SELECT seq, at_ms, hash FROM entries WHERE chain = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
          c.chain,
          c.pruned_seq,
          c.archived_seq,
          budget + 1,
        )
        .toArray();
      let n = 0;
      while (n < budget && n < rows.length && (rows[n]?.at_ms ?? cutoff) < cutoff) n++;
      const last = rows[n - 1];
      if (!last) continue;
      sql.exec('DELETE FROM entries WHERE chain = ? AND seq <= ?', c.chain, last.seq);
      this.#calls.forget(c.chain, last.seq);
      sql.exec(
        `UPDATE chains SET pruned_seq = ?, pruned_hash = ?, pruned_at_ms = ?, pruned_at = ?,
           oldest_at_ms = (SELECT at_ms FROM entries WHERE chain = ? ORDER BY seq LIMIT 1) WHERE chain = ?`,
        last.seq,
        last.hash,
        last.at_ms,
        nowMs,
        c.chain,
        c.chain,
      );
      budget -= n;
    }
    return { pruned: INDEX_PRUNE_BATCH - budget, more: budget === 0 && due(1).length > 0 };
  }

  override async alarm(): Promise<void> {
    this.#alarmSet = false;
    const now = Date.now();
    const { more } = this.prune(now);
    if (more) return this.#ensureAlarm(now + PRUNE_AGAIN_MS);
    const oldest = this.ctx.storage.sql
      .exec<{ at: number | null }>('SELECT MIN(oldest_at_ms) AS at FROM chains')
      .one().at;
    // Nothing held: the next ingest sets the alarm again.
    if (oldest !== null) await this.#ensureAlarm(now + PRUNE_CHECK_MAX_MS);
  }

  async #ensureAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
    this.#alarmSet = true;
  }

  /** Where each pruned chain's copy starts, by chain name after `afterChain` (the export's checkpoint lines). */
  anchors(afterChain: string, limit: number): ChainAnchor[] {
    return this.ctx.storage.sql
      .exec<{ chain: string; seq: number; hash: string; at_ms: number; pruned_at: number }>(
        `SELECT chain, pruned_seq AS seq, pruned_hash AS hash, pruned_at_ms AS at_ms, pruned_at FROM chains
         WHERE pruned_seq > 0 AND chain > ? ORDER BY chain LIMIT ?`,
        afterChain,
        limit,
      )
      .toArray()
      .map((a) => ({ ...a, count: a.seq }));
  }

  /** The hash the index's copy holds for a chain's entry (the anchor's, once pruned through it), or null. */
  hashAt(chain: string, seq: number): string | null {
    const sql = this.ctx.storage.sql;
    const row = sql
      .exec<{ hash: string }>('SELECT hash FROM entries WHERE chain = ? AND seq = ?', chain, seq)
      .toArray()[0];
    if (row) return row.hash;
    return (
      sql
        .exec<{ pruned_hash: string | null }>(
          'SELECT pruned_hash FROM chains WHERE chain = ? AND pruned_seq = ?',
          chain,
          seq,
        )
        .toArray()[0]?.pruned_hash ?? null
    );
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  // ── the audit archive (src/proof/archive-writer.ts) ───────────────────────────────────────────

  /** Chains with entries past their archived head, by name after `afterChain`. */
  archivePlan(afterChain: string, limit: number): ArchiveTask[] {
    return this.#archive.plan(afterChain, limit);
  }

  /** A chain's new archived head; the index's copies up to it may go on its next (hourly) pruning pass. */
  markArchived(chain: string, head: ArchivedHead, nowMs: number = Date.now()): void {
    this.#archive.mark(chain, head, nowMs);
  }

  /** One archive run at a time: the lease (false while another run holds it), and its end with its report. */
  archiveLease(holder: string, nowMs: number, ttlMs: number): boolean {
    return this.#archive.lease(holder, nowMs, ttlMs);
  }

  archiveRelease(holder: string, report: unknown, nowMs: number = Date.now()): void {
    this.#archive.release(holder, report, nowMs);
  }

  /** The archive's status: totals, and each chain's lag (most behind first). */
  archiveStatus(
    limit: number,
    skip = 0,
    nowMs: number = Date.now(),
  ): { summary: ArchiveSummary; chains: ChainArchiveState[] } {
    return { summary: this.#archive.summary(nowMs), chains: this.#archive.chains(nowMs, limit, skip) };
  }

  /** Calls across every chain, in the order the index received them. */
  query(filter: AuditFilter, limit: number, skip: number): AuditPage {
    return this.#calls.query(filter, limit, skip);
  }

  /** Chain entries (both kinds) in arrival order after the cursor `after`, for the NDJSON export. */
  exportPage(filter: AuditFilter, after: number, limit: number): ExportPage {
    const { clause, args } = entryWhere(filter);
    const rows = this.ctx.storage.sql
      .exec(
        `SELECT rowid AS _row, * FROM entries WHERE rowid > ?${clause} ORDER BY rowid LIMIT ?`,
        after,
        ...args,
        limit,
      )
      .toArray();
    return {
      entries: rows.map((r) => rowToEntry(String(r.chain), r)),
      last: rows.length ? Number(rows[rows.length - 1]?._row) : after,
    };
  }

  /** The chains with entries past their checkpoint (every chain from genesis when `full`). */
  verifyPlan(full: boolean): VerifyTask[] {
    return this.ctx.storage.sql
      .exec<VerifyTask & Record<string, SqlStorageValue>>(
        `SELECT c.chain AS chain, ${full ? '0' : 'COALESCE(k.seq, 0)'} AS from_seq,
           ${full ? `'${GENESIS_HASH}'` : `COALESCE(k.hash, '${GENESIS_HASH}')`} AS from_hash,
           c.head_seq AS to_seq, c.head_hash AS to_hash, c.mismatch_seq AS mismatch_seq
         FROM chains c LEFT JOIN checkpoints k ON k.chain = c.chain
         WHERE ? OR c.head_seq > COALESCE(k.seq, 0) OR c.mismatch_seq IS NOT NULL
         ORDER BY c.chain`,
        full ? 1 : 0,
      )
      .toArray();
  }

  /** Records verified heads; a checkpoint only moves forward. */
  commitCheckpoints(verified: Array<{ chain: string; seq: number; hash: string }>, nowMs: number): void {
    for (const v of verified)
      this.ctx.storage.sql.exec(
        `INSERT INTO checkpoints (chain, seq, hash, verified_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, verified_at = excluded.verified_at
         WHERE excluded.seq >= checkpoints.seq`,
        v.chain,
        v.seq,
        v.hash,
        nowMs,
      );
  }

  summary(): IndexSummary {
    const sql = this.ctx.storage.sql;
    const chains = sql
      .exec<{ n: number; entries: number | null }>(
        'SELECT COUNT(*) AS n, SUM(head_seq) AS entries FROM chains',
      )
      .one();
    const verified = sql.exec<{ v: number | null }>('SELECT SUM(seq) AS v FROM checkpoints').one().v ?? 0;
    const calls = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM calls').one().n;
    const digest = createHash('sha256');
    for (const k of sql.exec<{ chain: string; seq: number; hash: string }>(
      'SELECT chain, seq, hash FROM checkpoints ORDER BY chain',
    ))
      digest.update(`${k.chain} ${k.seq} ${k.hash}\n`);
    return { chains: chains.n, entries: chains.entries ?? 0, verified, calls, head: digest.digest('hex') };
  }

  /** The head the index holds for a chain (0 when it has none). */
  headOf(chain: string): { seq: number; hash: string } {
    const row = this.ctx.storage.sql
      .exec<{ head_seq: number; head_hash: string }>(
        'SELECT head_seq, head_hash FROM chains WHERE chain = ?',
        chain,
      )
      .toArray()[0];
    return row ? { seq: row.head_seq, hash: row.head_hash } : { seq: 0, hash: GENESIS_HASH };
  }
}
