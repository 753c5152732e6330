import { ANONYMOUS_CHAIN, type AuditEntry, type EntryInput } from '../../model/audit-entry';
import { ChainArchiveMark } from '../../proof/archive-ledger';
import { CALLS_SCHEMA, CallsProjection } from '../audit-calls';
import { ensureColumns } from '../entry-rows';
import { ApprovalStore } from './approvals-store';
import { AttemptWindows } from './attempt-windows';
import { AuditChain, CHAIN_SCHEMA } from './audit-chain';
import { OWNERSHIP_SCHEMA } from './ownership';
import { PROFILE_SCHEMA } from './profile';
import { HOLDS_SCHEMA } from './spend-holds';
import { BUDGET_SCHEMA, SPEND_SCHEMA, SpendLedger } from './spend-ledger';

/** Where the object's chain stands: its name, what the index has, and what the directory was last sent. */
export interface ChainState extends Record<string, SqlStorageValue> {
  chain: string;
  forwarded_seq: number;
  flush_failures: number;
  directory_version: number;
}

const STATE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chain_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    chain TEXT NOT NULL,
    forwarded_seq INTEGER NOT NULL,
    flush_failures INTEGER NOT NULL,
    directory_version INTEGER NOT NULL
  );
`;

/**
 * The stores of an agent object that holds something (a profile, or a chain only, as `anonymous` does),
 * all on its one SQLite database. An object nobody created has none, and writes nothing.
 */
export interface AgentStores {
  sql: SqlStorage;
  chain: AuditChain;
  calls: CallsProjection;
  ledger: SpendLedger;
  attempts: AttemptWindows;
  /** How far the audit archive (src/proof) holds this chain: pruning never goes past it. */
  archived: ChainArchiveMark;
  /** Approvals (approvals-store.ts). */
  approvals: ApprovalStore;
}

/** True once the object was initialised (a made-up id in a key costs this read, and nothing more). */
export function initialised(sql: SqlStorage): boolean {
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_state'").toArray().length > 0
  );
}

/** Creates every table of an agent object whose chain is `chain`, then opens its stores. */
export function initStores(sql: SqlStorage, chain: string): AgentStores {
  sql.exec(PROFILE_SCHEMA);
  sql.exec(SPEND_SCHEMA);
  sql.exec(CHAIN_SCHEMA);
  sql.exec(CALLS_SCHEMA);
  sql.exec(STATE_SCHEMA);
  sql.exec(HOLDS_SCHEMA);
  sql.exec(
    'INSERT OR IGNORE INTO chain_state (id, chain, forwarded_seq, flush_failures, directory_version) VALUES (1, ?, 0, 0, 0)',
    chain,
  );
  return openStores(sql, chain);
}

export function openStores(sql: SqlStorage, chain: string): AgentStores {
  // Object scope and budgets over time (issue 18) came after the first layout: objects made before get
  // their tables and the agent's `scope` column (null: every area `any`, as the agent was created) here.
  // Not in `anonymous`, which never holds an agent: its storage stays bounded by its records alone.
  if (chain !== ANONYMOUS_CHAIN) {
    sql.exec(BUDGET_SCHEMA);
    sql.exec(OWNERSHIP_SCHEMA);
  }
  ensureColumns(sql, 'agent', { scope: 'TEXT' });
  return {
    sql,
    chain: new AuditChain(sql, chain),
    calls: new CallsProjection(sql),
    ledger: new SpendLedger(sql),
    attempts: new AttemptWindows(sql),
    archived: new ChainArchiveMark(sql),
    approvals: new ApprovalStore(sql),
  };
}

export function chainState(sql: SqlStorage): ChainState {
  return sql.exec<ChainState>('SELECT * FROM chain_state WHERE id = 1').one();
}

/** Appends one entry to the chain and applies it to the per-call projection, in one synchronous step. */
export function appendEntry(stores: AgentStores, input: EntryInput): AuditEntry {
  const entry = stores.chain.append(input);
  stores.calls.apply(entry);
  return entry;
}
