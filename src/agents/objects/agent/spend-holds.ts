import { entryByName } from '../../../catalog';
import type { Money } from '../../model/policy';
import { identity, profileOf } from './profile';
import type { SpendCheck, SpendHold } from './spend-ledger';
import type { AgentStores } from './state';

/**
 * Which reservation each pending `start` holds (its idempotency key and scope), and whether that start made
 * it or reused a retry's: `finish` gives back a definite refusal's reservation, `abandon` only one its own
 * start made (a retry's reused one belongs to the original call).
 */
export const HOLDS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS start_holds (
    seq INTEGER PRIMARY KEY,
    idem_key TEXT NOT NULL,
    scope TEXT NOT NULL,
    created INTEGER NOT NULL
  );
`;

/**
 * Checks a money-moving call against the agent's current limits and, when it fits, adds it to the day's
 * total under its idempotency key in the same synchronous step (docs/agents.md, "Caps and unknown
 * outcomes"): a key already holding a live reservation for this call reuses it; more, or another currency,
 * than it holds is refused.
 */
export function reserveSpend(
  stores: AgentStores | null,
  agentId: string,
  entryName: string,
  money: Money | null,
  nowMs: number,
  hold: SpendHold,
  mode: 'reserve' | 'dry_run' = 'reserve',
): SpendCheck {
  const row = profileOf(stores);
  if (!row || !stores || row.id !== agentId)
    return { ok: false, reason: 'grant_required', message: 'no such agent' };
  const args = [identity(row), entryByName(entryName), money, nowMs, hold, row.revoked_at !== null] as const;
  // `dry_run`: the same check, holding nothing (before an approval is requested: SpendLedger.fits).
  return mode === 'reserve' ? stores.ledger.check(...args) : stores.ledger.fits(...args);
}

/** Remembers the reservation a start holds (and whether it made it). */
export function rememberHold(sql: SqlStorage, seq: number, hold: SpendHold, created: boolean): void {
  sql.exec(
    'INSERT OR REPLACE INTO start_holds (seq, idem_key, scope, created) VALUES (?, ?, ?, ?)',
    seq,
    hold.key,
    hold.scope,
    created ? 1 : 0,
  );
}

/** True when the start's reservation was made by that start (not reused from an earlier call). */
export function madeByStart(sql: SqlStorage, seq: number): boolean {
  const row = sql
    .exec<{ created: number }>('SELECT created FROM start_holds WHERE seq = ?', seq)
    .toArray()[0];
  return row?.created === 1;
}

/** Gives back the reservation a start holds, if any, and forgets it. */
export function releaseStartHold(stores: AgentStores, seq: number): void {
  const hold = stores.sql
    .exec<{ idem_key: string; scope: string }>('SELECT idem_key, scope FROM start_holds WHERE seq = ?', seq)
    .toArray()[0];
  const row = profileOf(stores);
  if (hold && row) stores.ledger.release(row.id, { key: hold.idem_key, scope: hold.scope });
  dropStartHold(stores.sql, seq);
}

/** Forgets which reservation a start held, keeping the reservation itself (the money may have moved). */
export function dropStartHold(sql: SqlStorage, seq: number): void {
  sql.exec('DELETE FROM start_holds WHERE seq = ?', seq);
}
