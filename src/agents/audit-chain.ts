import {
  type AuditEntry,
  checkRange,
  ENTRY_COLUMNS,
  ENTRY_COLUMNS_SQL,
  type EntryInput,
  entryHash,
  entryValues,
  GENESIS_HASH,
  type RangeCheck,
  rowToEntry,
} from './audit-entry';

export const CHAIN_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_entries (${ENTRY_COLUMNS_SQL}, PRIMARY KEY (seq));
`;

const INSERT = `INSERT INTO audit_entries (${ENTRY_COLUMNS.join(', ')}) VALUES (${ENTRY_COLUMNS.map(() => '?').join(', ')})`;

/**
 * One agent's hash chain, inside its Durable Object. Append-only: the only writer is `append`, which
 * reads the head and inserts with no await in between, so concurrent calls form one chain.
 */
export class AuditChain {
  readonly #sql: SqlStorage;
  readonly #chain: string;

  constructor(sql: SqlStorage, chain: string) {
    this.#sql = sql;
    this.#chain = chain;
  }

  head(): { seq: number; hash: string } {
    const row = this.#sql
      .exec<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1')
      .toArray()[0];
    return row ?? { seq: 0, hash: GENESIS_HASH };
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

  /**
   * Recomputes the chain from the entry after `fromSeq` (whose hash must be `fromHash`) up to `toSeq`.
   * `fromSeq` 0 with the genesis hash checks the whole chain. The checkpoint entry itself is re-hashed
   * too, so editing it is seen.
   */
  verify(fromSeq: number, fromHash: string, toSeq?: number): RangeCheck {
    if (fromSeq > 0) {
      const at = this.get(fromSeq);
      if (!at || at.hash !== fromHash || entryHash(at.prev_hash, at) !== at.hash)
        return { valid: false, checked: 0, head_seq: fromSeq - 1, head_hash: '', first_invalid_seq: fromSeq };
    }
    const chain = this.#chain;
    const rows = this.#sql.exec(
      'SELECT * FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq',
      fromSeq,
      toSeq ?? Number.MAX_SAFE_INTEGER,
    );
    const entries = (function* () {
      for (const row of rows) yield rowToEntry(chain, row);
    })();
    return checkRange(entries, fromSeq, fromHash, toSeq);
  }
}
