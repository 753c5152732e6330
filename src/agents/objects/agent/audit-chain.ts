import {
  type AuditEntry,
  checkRange,
  type EntryInput,
  entryHash,
  GENESIS_HASH,
  type RangeCheck,
} from '../../model/audit-entry';
import {
  ENTRY_COLUMNS,
  ENTRY_COLUMNS_SQL,
  ensureColumns,
  entryValues,
  LATER_ENTRY_COLUMNS,
  rowToEntry,
} from '../entry-rows';

export const CHAIN_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_entries (${ENTRY_COLUMNS_SQL}, PRIMARY KEY (seq));
  CREATE TABLE IF NOT EXISTS chain_pruned (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    count INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    pruned_at INTEGER NOT NULL
  );
`;

const INSERT = `INSERT INTO audit_entries (${ENTRY_COLUMNS.join(', ')}) VALUES (${ENTRY_COLUMNS.map(() => '?').join(', ')})`;

/**
 * Where a pruned chain now starts: the last pruned entry's `seq` and `hash` (the next entry's
 * `prev_hash`), how many entries were pruned (always `seq`: a chain is numbered 1, 2, 3, … and only ever
 * loses a prefix), and that entry's time. The chain verifies from here as from a genesis.
 */
export interface PrunedThrough {
  seq: number;
  hash: string;
  count: number;
  at_ms: number;
  pruned_at: number;
}

/** What one bounded pruning pass did. */
export interface PruneResult {
  pruned: number;
  /** The anchor after the pass (null: nothing was ever pruned). */
  through: PrunedThrough | null;
  /** More entries are already old enough (the batch was full): run again soon. */
  more: boolean;
  /** The prefix to prune did not verify: nothing was pruned, the evidence stays (`first_invalid_seq`). */
  blocked: number | null;
}

/**
 * One agent's hash chain, inside its Durable Object. Appends go only through `append`, which reads the
 * head and inserts with no await in between, so concurrent calls form one chain. The only deletion is
 * `prune`: the oldest entries, as a prefix, after checking that they verify, leaving the anchor
 * (`chain_pruned`) the rest of the chain verifies from.
 */
export class AuditChain {
  readonly #sql: SqlStorage;
  readonly #chain: string;

  constructor(sql: SqlStorage, chain: string) {
    this.#sql = sql;
    this.#chain = chain;
    // Objects made before pruning and aggregated attempts existed.
    sql.exec(CHAIN_SCHEMA);
    ensureColumns(sql, 'audit_entries', LATER_ENTRY_COLUMNS);
  }

  /** The last entry; once every entry was pruned, the anchor (the chain goes on from it, never from 1). */
  head(): { seq: number; hash: string } {
    const row = this.#sql
      .exec<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1')
      .toArray()[0];
    if (row) return row;
    const anchor = this.prunedThrough();
    return anchor ? { seq: anchor.seq, hash: anchor.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  prunedThrough(): PrunedThrough | null {
    return (
      this.#sql
        .exec<PrunedThrough & Record<string, SqlStorageValue>>(
          'SELECT seq, hash, count, at_ms, pruned_at FROM chain_pruned WHERE id = 1',
        )
        .toArray()[0] ?? null
    );
  }

  append(input: EntryInput): AuditEntry {
    const head = this.head();
    const seq = head.seq + 1;
    const partial = { ...input, chain: this.#chain, seq };
    const entry: AuditEntry = {
      ...partial,
      at: new Date(input.at_ms).toISOString(),
      prev_hash: head.hash,
      hash: entryHash(head.hash, partial),
    };
    this.#sql.exec(INSERT, ...entryValues(entry));
    return entry;
  }

  get(seq: number): AuditEntry | null {
    const row = this.#sql.exec('SELECT * FROM audit_entries WHERE seq = ?', seq).toArray()[0];
    return row ? rowToEntry(this.#chain, row) : null;
  }

  /** Entries after `seq`, oldest first. */
  after(seq: number, limit: number): AuditEntry[] {
    return this.#sql
      .exec('SELECT * FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?', seq, limit)
      .toArray()
      .map((row) => rowToEntry(this.#chain, row));
  }

  /** The time of the oldest entry still held, or null when none is. */
  oldestAtMs(): number | null {
    return (
      this.#sql.exec<{ at_ms: number }>('SELECT at_ms FROM audit_entries ORDER BY seq LIMIT 1').toArray()[0]
        ?.at_ms ?? null
    );
  }

  /**
   * Recomputes the chain from the entry after `fromSeq` (whose hash must be `fromHash`) up to `toSeq`.
   * `fromSeq` 0 with the genesis hash checks the whole chain. The checkpoint entry itself is re-hashed
   * too, so editing it is seen. A range starting inside the pruned prefix starts at the anchor instead
   * (`start_seq` says so); one starting exactly on it must name the anchor's hash.
   */
  verify(fromSeq: number, fromHash: string, toSeq?: number): RangeCheck {
    const anchor = this.prunedThrough();
    let from = fromSeq;
    let hash = fromHash;
    if (anchor && from <= anchor.seq) {
      if (from === anchor.seq && hash !== anchor.hash)
        return {
          valid: false,
          start_seq: from,
          checked: 0,
          head_seq: from - 1,
          head_hash: '',
          first_invalid_seq: from,
        };
      from = anchor.seq;
      hash = anchor.hash;
    } else if (from > 0) {
      const at = this.get(from);
      if (!at || at.hash !== hash || entryHash(at.prev_hash, at) !== at.hash)
        return {
          valid: false,
          start_seq: from,
          checked: 0,
          head_seq: from - 1,
          head_hash: '',
          first_invalid_seq: from,
        };
    }
    const chain = this.#chain;
    const rows = this.#sql.exec(
      'SELECT * FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq',
      from,
      toSeq ?? Number.MAX_SAFE_INTEGER,
    );
    const entries = (function* () {
      for (const row of rows) yield rowToEntry(chain, row);
    })();
    return checkRange(entries, from, hash, toSeq);
  }

  /**
   * Removes up to `limit` of the oldest entries, as a prefix: entries up to `maxSeq` (what the global
   * index already holds) whose `at_ms` is before `cutoffMs`, stopping at the first younger one or at
   * `keep(seq)` (a start still waiting for its outcome). The prefix is verified from the current anchor
   * first; if it does not verify, nothing is removed. `onPruned(seq)` runs in the same synchronous step
   * (the per-call rows derived from those entries).
   */
  prune(
    cutoffMs: number,
    maxSeq: number,
    limit: number,
    nowMs: number,
    keep: (seq: number) => boolean,
    onPruned: (throughSeq: number) => void,
  ): PruneResult {
    const anchor = this.prunedThrough();
    const from = anchor ?? { seq: 0, hash: GENESIS_HASH, count: 0, at_ms: 0, pruned_at: 0 };
    // The alarm runs this after every flush, and most passes find the oldest entry still young: look at
    // that one row first, and read (and decode) a batch only when there is something to prune.
    const oldest = this.#sql
      .exec<{ seq: number; at_ms: number }>(
        'SELECT seq, at_ms FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 1',
        from.seq,
        maxSeq,
      )
      .toArray()[0];
    if (!oldest || oldest.at_ms >= cutoffMs || keep(oldest.seq))
      return { pruned: 0, through: anchor, more: false, blocked: null };
    const candidates = this.#sql
      .exec(
        'SELECT * FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
        from.seq,
        maxSeq,
        limit + 1,
      )
      .toArray()
      .map((row) => rowToEntry(this.#chain, row));
    const prefix: AuditEntry[] = [];
    for (const e of candidates) {
      if (prefix.length === limit || e.at_ms >= cutoffMs || keep(e.seq)) break;
      prefix.push(e);
    }
    const last = prefix.at(-1);
    if (!last) return { pruned: 0, through: anchor, more: false, blocked: null };
    const check = checkRange(prefix, from.seq, from.hash);
    if (!check.valid) return { pruned: 0, through: anchor, more: false, blocked: check.first_invalid_seq };
    this.#sql.exec('DELETE FROM audit_entries WHERE seq <= ?', last.seq);
    this.#sql.exec(
      `INSERT INTO chain_pruned (id, seq, hash, count, at_ms, pruned_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, count = excluded.count,
         at_ms = excluded.at_ms, pruned_at = excluded.pruned_at`,
      last.seq,
      last.hash,
      from.count + prefix.length,
      last.at_ms,
      nowMs,
    );
    onPruned(last.seq);
    const next = candidates[prefix.length];
    return {
      pruned: prefix.length,
      through: this.prunedThrough(),
      more: prefix.length === limit && next !== undefined && next.at_ms < cutoffMs && !keep(next.seq),
      blocked: null,
    };
  }
}
