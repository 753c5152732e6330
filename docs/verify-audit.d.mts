/** Types for `docs/verify-audit.mjs` (the offline audit verifier), for the test that runs it. */
export declare const HASHED_FIELDS: readonly string[];
export declare const ATTEMPT_FIELDS: readonly string[];
export declare const APPROVAL_FIELDS: readonly string[];
export declare const GENESIS_HASH: string;
export declare function entryHash(prevHash: string, entry: Record<string, unknown>): string;
export interface ChainResult {
  chain: string;
  valid: boolean;
  entries: number;
  from_genesis: boolean;
  /** The checkpoint line the chain was verified from (its older entries were pruned), if any. */
  from_checkpoint: { seq: number; hash: string } | null;
  head: { seq: number; hash: string } | null;
  first_invalid_seq: number | null;
  problem: string | null;
}
export declare function verifyNdjson(text: string): ChainResult[];
