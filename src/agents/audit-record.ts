import { createHash } from 'node:crypto';
import type { Decision, DecisionReason } from './types';

/** What the gateway records about one call. Never a key, card data or a raw body. */
export interface AuditInput {
  /** Milliseconds since the epoch, when the call arrived. */
  at_ms: number;
  agent_id: string | null;
  agent_name: string | null;
  channel: 'rest' | 'mcp';
  method: string;
  /** The catalog path template (`/payments/{id}`), never the concrete path (ids can be sensitive). */
  path_template: string | null;
  entry: string | null;
  area: string | null;
  access: 'read' | 'write' | null;
  decision: Decision;
  reason: DecisionReason;
  upstream_status: number | null;
  latency_ms: number;
  /** Bollard's request id (`Cko-Request-Id` on Bollard's answer). */
  request_id: string;
  /** Checkout.com's `Cko-Request-Id`. */
  upstream_request_id: string | null;
  idempotency_key: string | null;
  /** Minor units, for money-moving calls when known. */
  amount: number | null;
  currency: string | null;
}

/** A stored record: the input plus its place in the chain. */
export interface AuditRecord extends AuditInput {
  seq: number;
  at: string;
  prev_hash: string;
  hash: string;
}

/** The previous-hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields covered by the hash, in a fixed order: adding a field later means a new chain version. */
const HASHED_FIELDS = [
  'seq',
  'at_ms',
  'agent_id',
  'agent_name',
  'channel',
  'method',
  'path_template',
  'entry',
  'area',
  'access',
  'decision',
  'reason',
  'upstream_status',
  'latency_ms',
  'request_id',
  'upstream_request_id',
  'idempotency_key',
  'amount',
  'currency',
] as const;

type Hashable = Pick<AuditRecord, (typeof HASHED_FIELDS)[number]>;

/**
 * SHA-256 over the previous hash and the record's canonical JSON (a fixed-order array, so key order
 * and whitespace cannot change it). Synchronous (`node:crypto`), so an append is one uninterrupted step
 * inside the Durable Object: no other append can slip between reading the head and writing after it.
 */
export function chainHash(prevHash: string, record: Hashable): string {
  const canonical = JSON.stringify(HASHED_FIELDS.map((f) => record[f]));
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}
