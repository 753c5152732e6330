/**
 * The audit archive's layout in R2 (docs/storage.md, "R2"), pure. Every object is written once and never
 * replaced:
 *
 * - `chains/<chain>/<first seq>-<last seq>.ndjson`: a range of one chain's entries, one JSON entry a line
 *   (exactly as `GET /admin/audit/export` writes them), consecutive and linked;
 * - `heads/<chain>/<last seq>.jws`: the signed head closing that range (compact JWS, `typ`
 *   `bollard-archive-head+jwt`): chain, seq, hash, count, time, the range's key and SHA-256, and the previous
 *   head it continues (`prev`), so the heads of a chain form a signed chain of their own;
 * - `keys/<kid>.json`: each public key that signed heads or receipts, so the archive verifies on its own.
 *
 * Seqs are zero-padded to 12 digits so that listing order is seq order.
 */

export const ARCHIVE_HEAD_TYP = 'bollard-archive-head+jwt';

const SEQ_DIGITS = 12;
/** Chain ids are agent ids (`agt_…`) or `anonymous`: safe in a key as they are. */
const CHAIN = /^[A-Za-z0-9_-]{1,64}$/;

export function isArchivableChain(chain: string): boolean {
  return CHAIN.test(chain);
}

export function padSeq(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

export function rangeKey(chain: string, firstSeq: number, lastSeq: number): string {
  return `chains/${chain}/${padSeq(firstSeq)}-${padSeq(lastSeq)}.ndjson`;
}

/** The keys of a chain's ranges that start at `firstSeq`. */
export function rangePrefix(chain: string, firstSeq: number): string {
  return `chains/${chain}/${padSeq(firstSeq)}-`;
}

/** The last seq a range key names, or null for another key. */
export function rangeLastSeq(key: string): number | null {
  const m = /-(\d+)\.ndjson$/.exec(key);
  return m ? Number(m[1]) : null;
}

export function headPrefix(chain: string): string {
  return `heads/${chain}/`;
}

export function headKey(chain: string, seq: number): string {
  return `${headPrefix(chain)}${padSeq(seq)}.jws`;
}

export function keyObjectKey(kid: string): string {
  return `keys/${kid}.json`;
}

/** One entry per line, each line `JSON.stringify(entry)`, ending with a newline. */
export function toNdjson(entries: readonly object[]): string {
  return `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
}

/**
 * Where a range starts: the chain's genesis, the anchor of a chain pruned before it was first archived
 * (the entries before it are gone; the anchor is the chain's own `pruned_through`), or the previous signed
 * head.
 */
export interface RangeStart {
  seq: number;
  hash: string;
  /** The previous head's key; null for a chain's first range. */
  key: string | null;
  /** Entries archived before this range. */
  count: number;
  from: 'genesis' | 'anchor' | 'head';
}

/** The claims of a signed head. */
export interface HeadClaims {
  iss: string;
  iat: number;
  jti: string;
  kid: string;
  chain: string;
  /** The last entry of the range: its seq and hash (the chain's head as archived). */
  seq: number;
  hash: string;
  /** Entries of this chain archived through `seq` (every range so far). */
  count: number;
  /** When the head was written (ISO 8601). */
  at: string;
  /** The head entry's own time (ISO 8601). */
  head_at: string;
  range: { key: string; first_seq: number; last_seq: number; entries: number; sha256: string; bytes: number };
  prev: { seq: number; hash: string; key: string | null; from: RangeStart['from'] };
}

export function headClaims(
  chain: string,
  start: RangeStart,
  last: { seq: number; hash: string; at_ms: number },
  range: { key: string; first_seq: number; entries: number; sha256: string; bytes: number },
  signed: { iss: string; nowMs: number; jti: string; kid: string },
): HeadClaims {
  return {
    iss: signed.iss,
    iat: Math.floor(signed.nowMs / 1000),
    jti: signed.jti,
    kid: signed.kid,
    chain,
    seq: last.seq,
    hash: last.hash,
    count: start.count + range.entries,
    at: new Date(signed.nowMs).toISOString(),
    head_at: new Date(last.at_ms).toISOString(),
    range: { ...range, last_seq: last.seq },
    prev: { seq: start.seq, hash: start.hash, key: start.key, from: start.from },
  };
}

/** The fields of a verified head the writer relies on, or null when they are not what a head holds. */
export function readHead(
  claims: Record<string, unknown>,
): Pick<HeadClaims, 'chain' | 'seq' | 'hash' | 'count' | 'head_at'> | null {
  const { chain, seq, hash, count, head_at } = claims;
  if (typeof chain !== 'string' || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return null;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(count) || typeof head_at !== 'string') return null;
  return { chain, seq: seq as number, hash, count: count as number, head_at };
}
