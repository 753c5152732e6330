import type { CatalogEntry } from '../../../catalog';
import { checkCallLimits, grantAllows, type LimitCheck, type Money, utcDay } from '../../model/policy';
import type { AuthenticatedAgent } from './profile';

/**
 * How long a reservation stays attached to its idempotency key: Checkout.com keeps a key's answer for
 * 24 hours, so within that time a retry with the key gets the original outcome, never a second effect.
 */
export const HOLD_TTL_MS = 24 * 3_600_000;

/** Which reservation a money-moving call holds: its idempotency key, on one call (`holdScope`). */
export interface SpendHold {
  key: string;
  scope: string;
}

/** A reservation check's answer; `reused` when the key already held one for this call (a retry). */
export type SpendCheck = { ok: true; reused: boolean } | Extract<LimitCheck, { ok: false }>;

export interface HoldRow extends Record<string, SqlStorageValue> {
  day: string;
  currency: string;
  amount: number;
  at_ms: number;
}

/** The agent object's spend tables: per-day totals, and which key each reservation in them belongs to. */
export const SPEND_SCHEMA = `
  CREATE TABLE IF NOT EXISTS spend (
    agent_id TEXT NOT NULL,
    day TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (agent_id, day, currency)
  );
  CREATE TABLE IF NOT EXISTS spend_holds (
    agent_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    scope TEXT NOT NULL,
    day TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (agent_id, idem_key, scope)
  );
  CREATE INDEX IF NOT EXISTS spend_holds_at ON spend_holds (at_ms);
`;

/**
 * The spend ledger inside the agent's Durable Object. Every method is synchronous SQL, so a check and
 * the write that follows it are one atomic step for the object.
 */
export class SpendLedger {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Checks a money-moving call against the agent's current limits and, when it fits, adds it to the
   * day's total under its idempotency key in the same synchronous step (so concurrent calls cannot both
   * squeeze under the cap). A key that already holds a live reservation for this call (a retry after an
   * unknown outcome, or of a success) reuses it: upstream answers such a retry with the original outcome,
   * so counting it again would count one payment twice. A retry asking for more, or in another currency,
   * than its key holds is not the same request and is refused.
   */
  check(
    agent: AuthenticatedAgent,
    entry: CatalogEntry | undefined,
    money: Money,
    nowMs: number,
    hold: SpendHold,
    revoked: boolean,
  ): SpendCheck {
    if (revoked || !entry || !grantAllows(agent.grants, entry))
      return { ok: false, reason: 'grant_required', message: 'the agent no longer holds this grant' };
    const perCall = checkCallLimits(agent.limits, money);
    if (!perCall.ok) return perCall;
    this.prune(nowMs);
    const held = this.held(agent.id, hold, nowMs);
    if (held) {
      if (held.currency === money.currency && money.amount <= held.amount) return { ok: true, reused: true };
      return {
        ok: false,
        reason: 'idempotency_key_reused',
        message: `this idempotency key already holds ${held.amount} ${held.currency} for this call: a retry with it must repeat that request, and a new request needs a new key`,
      };
    }
    const cap = agent.limits.max_amount_per_day?.[money.currency];
    const spent = this.spent(agent.id, utcDay(nowMs), money.currency);
    if (cap !== undefined && spent + money.amount > cap)
      return {
        ok: false,
        reason: 'daily_limit_exceeded',
        message: `amount ${money.amount} ${money.currency} would exceed the daily limit of ${cap} (${spent} used today)`,
      };
    this.reserve(agent.id, hold, money, nowMs);
    return { ok: true, reused: false };
  }

  /** The amount counted for the agent on a UTC day in a currency. */
  spent(agentId: string, day: string, currency: string): number {
    return (
      this.#sql
        .exec<{ amount: number }>(
          'SELECT amount FROM spend WHERE agent_id = ? AND day = ? AND currency = ?',
          agentId,
          day,
          currency,
        )
        .toArray()[0]?.amount ?? 0
    );
  }

  /** The live reservation a key holds for this call, if any. */
  held(agentId: string, hold: SpendHold, nowMs: number): HoldRow | undefined {
    return this.#sql
      .exec<HoldRow>(
        'SELECT day, currency, amount, at_ms FROM spend_holds WHERE agent_id = ? AND idem_key = ? AND scope = ? AND at_ms > ?',
        agentId,
        hold.key,
        hold.scope,
        nowMs - HOLD_TTL_MS,
      )
      .toArray()[0];
  }

  /** Counts `money` on today's total and records that `hold` owns it. */
  reserve(agentId: string, hold: SpendHold, money: Money, nowMs: number): void {
    const day = utcDay(nowMs);
    this.#sql.exec(
      `INSERT INTO spend (agent_id, day, currency, amount) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_id, day, currency) DO UPDATE SET amount = amount + excluded.amount`,
      agentId,
      day,
      money.currency,
      money.amount,
    );
    this.#sql.exec(
      `INSERT INTO spend_holds (agent_id, idem_key, scope, day, currency, amount, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, idem_key, scope) DO UPDATE SET day = excluded.day, currency = excluded.currency,
         amount = excluded.amount, at_ms = excluded.at_ms`,
      agentId,
      hold.key,
      hold.scope,
      day,
      money.currency,
      money.amount,
      nowMs,
    );
  }

  /**
   * Gives back what `hold` reserved, on the day it was reserved, and forgets the hold. A no-op when it is
   * already gone (two callers refused with the same key, or expired), so a release never counts twice.
   */
  release(agentId: string, hold: SpendHold): void {
    const row = this.#sql
      .exec<HoldRow>(
        'SELECT day, currency, amount, at_ms FROM spend_holds WHERE agent_id = ? AND idem_key = ? AND scope = ?',
        agentId,
        hold.key,
        hold.scope,
      )
      .toArray()[0];
    if (!row) return;
    this.#sql.exec(
      'UPDATE spend SET amount = MAX(0, amount - ?) WHERE agent_id = ? AND day = ? AND currency = ?',
      row.amount,
      agentId,
      row.day,
      row.currency,
    );
    this.#sql.exec(
      'DELETE FROM spend_holds WHERE agent_id = ? AND idem_key = ? AND scope = ?',
      agentId,
      hold.key,
      hold.scope,
    );
  }

  /** Totals older than yesterday and holds past the key lifetime can never matter again. */
  prune(nowMs: number): void {
    this.#sql.exec('DELETE FROM spend WHERE day < ?', utcDay(nowMs - 2 * 86_400_000));
    this.#sql.exec('DELETE FROM spend_holds WHERE at_ms <= ?', nowMs - HOLD_TTL_MS);
  }

  /** The day's running total per currency. */
  today(agentId: string, nowMs: number): Record<string, number> {
    const rows = this.#sql
      .exec<{ currency: string; amount: number }>(
        'SELECT currency, amount FROM spend WHERE agent_id = ? AND day = ?',
        agentId,
        utcDay(nowMs),
      )
      .toArray();
    return Object.fromEntries(rows.map((r) => [r.currency, r.amount]));
  }
}
