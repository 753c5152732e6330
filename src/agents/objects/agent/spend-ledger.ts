import type { CatalogEntry } from '../../../catalog';
import {
  ALL_METHODS,
  checkBudgetCurrencies,
  checkBudgets,
  checkVelocity,
  DAY_MS,
  firstHourCounted,
  HOUR_MS,
  hourOf,
  LONGEST_WINDOW_MS,
  type WindowTotals,
} from '../../model/budgets';
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

/**
 * The agent object's spend tables: per-day totals, and which key each reservation in them belongs to
 * (a reservation without money — a velocity-only agent's call whose amount is unknown — has currency `''`
 * and amount 0: it counts as a call, not as money).
 */
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
 * Budgets over time (issue 18): hourly totals for the rolling windows (kept 30 days and an hour) and a
 * running total per currency for the lifetime cap. Created on open as well, for objects made before them.
 */
export const BUDGET_SCHEMA = `
  CREATE TABLE IF NOT EXISTS spend_hours (
    agent_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (agent_id, hour, currency)
  );
  CREATE TABLE IF NOT EXISTS spend_lifetime (
    agent_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (agent_id, currency)
  );
`;

/** What the admin API shows per window: amounts per currency, and money-moving calls in the last hour. */
export interface SpendView {
  today: Record<string, number>;
  last_7_days: Record<string, number>;
  last_30_days: Record<string, number>;
  lifetime: Record<string, number>;
  /** `*`: every money-moving call; then per method. */
  calls_last_hour: Record<string, number>;
}

type CurrencyRow = { currency: string; amount: number };
const byCurrency = (rows: CurrencyRow[]): Record<string, number> =>
  Object.fromEntries(rows.filter((r) => r.currency !== '').map((r) => [r.currency, r.amount]));

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
   * Checks a money-moving call against the agent's current limits and, when it fits, adds it to every
   * window's total under its idempotency key in the same synchronous step (so concurrent calls cannot both
   * squeeze under a cap). A key that already holds a live reservation for this call (a retry after an
   * unknown outcome, or of a success) reuses it: upstream answers such a retry with the original outcome,
   * so counting it again would count one payment twice. A retry asking for more, or in another currency,
   * than its key holds is not the same request and is refused. `money` is null only for an agent whose
   * limits are about calls, not amounts (`max_calls_per_hour` alone), when the amount is not stated.
   */
  check(
    agent: AuthenticatedAgent,
    entry: CatalogEntry | undefined,
    money: Money | null,
    nowMs: number,
    hold: SpendHold,
    revoked: boolean,
  ): SpendCheck {
    const fits = this.fits(agent, entry, money, nowMs, hold, revoked);
    if (fits.ok && !fits.reused) this.reserve(agent.id, hold, money, nowMs);
    return fits;
  }

  /**
   * `check` without the reservation: would the call fit as the totals stand? Asked before an approval is
   * requested (approvals.ts, `newApproval`), so a person is not asked to approve a call its limits or
   * budgets refuse; the approved re-send is checked and held again, atomically, by `check`.
   */
  fits(
    agent: AuthenticatedAgent,
    entry: CatalogEntry | undefined,
    money: Money | null,
    nowMs: number,
    hold: SpendHold,
    revoked: boolean,
  ): SpendCheck {
    if (revoked || !entry || !grantAllows(agent.grants, entry))
      return { ok: false, reason: 'grant_required', message: 'the agent no longer holds this grant' };
    if (money) {
      const perCall = checkCallLimits(agent.limits, money);
      if (!perCall.ok) return perCall;
      const currencies = checkBudgetCurrencies(agent.limits, money.currency);
      if (!currencies.ok) return currencies;
    }
    this.prune(nowMs);
    const held = this.held(agent.id, hold, nowMs);
    if (held) {
      if (!money || (held.currency === money.currency && money.amount <= held.amount))
        return { ok: true, reused: true };
      return {
        ok: false,
        reason: 'idempotency_key_reused',
        message: `this idempotency key already holds ${held.amount} ${held.currency} for this call: a retry with it must repeat that request, and a new request needs a new key`,
      };
    }
    const velocity = checkVelocity(agent.limits, entry, this.callsLastHour(agent.id, entry.name, nowMs));
    if (!velocity.ok) return velocity;
    if (money) {
      const budgets = checkBudgets(agent.limits, money, this.totals(agent.id, money.currency, nowMs));
      if (!budgets.ok) return budgets;
    }
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

  /** What is counted in a currency for each window at `nowMs`. */
  totals(agentId: string, currency: string, nowMs: number): WindowTotals {
    const rolling = this.#sql
      .exec<{ d7: number; d30: number }>(
        `SELECT COALESCE(SUM(CASE WHEN hour >= ? THEN amount ELSE 0 END), 0) AS d7, COALESCE(SUM(amount), 0) AS d30
         FROM spend_hours WHERE agent_id = ? AND currency = ? AND hour >= ?`,
        firstHourCounted(nowMs, 7 * DAY_MS),
        agentId,
        currency,
        firstHourCounted(nowMs, 30 * DAY_MS),
      )
      .one();
    const lifetime =
      this.#sql
        .exec<{ amount: number }>(
          'SELECT amount FROM spend_lifetime WHERE agent_id = ? AND currency = ?',
          agentId,
          currency,
        )
        .toArray()[0]?.amount ?? 0;
    return {
      day: this.spent(agentId, utcDay(nowMs), currency),
      days7: rolling.d7,
      days30: rolling.d30,
      lifetime,
    };
  }

  /**
   * Money-moving calls of the last hour that still hold a reservation (a definite refusal gave its back),
   * all of them and those of `entryName`. Exact, not bucketed: there are at most as many as the limit allows.
   */
  callsLastHour(agentId: string, entryName: string, nowMs: number): { all: number; method: number } {
    return (
      this.#sql
        .exec<{ all_calls: number; method_calls: number }>(
          `SELECT COUNT(*) AS all_calls,
           COALESCE(SUM(CASE WHEN scope = ? OR substr(scope, 1, ?) = ? THEN 1 ELSE 0 END), 0) AS method_calls
         FROM spend_holds WHERE agent_id = ? AND at_ms > ?`,
          entryName,
          entryName.length + 1,
          `${entryName} `,
          agentId,
          nowMs - HOUR_MS,
        )
        .toArray()
        .map((r) => ({ all: r.all_calls, method: r.method_calls }))[0] ?? { all: 0, method: 0 }
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

  /** Counts `money` on today's, this hour's and the lifetime total, and records that `hold` owns it. */
  reserve(agentId: string, hold: SpendHold, money: Money | null, nowMs: number): void {
    const day = utcDay(nowMs);
    if (money) this.#add(agentId, day, hourOf(nowMs), money.currency, money.amount);
    this.#sql.exec(
      `INSERT INTO spend_holds (agent_id, idem_key, scope, day, currency, amount, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, idem_key, scope) DO UPDATE SET day = excluded.day, currency = excluded.currency,
         amount = excluded.amount, at_ms = excluded.at_ms`,
      agentId,
      hold.key,
      hold.scope,
      day,
      money?.currency ?? '',
      money?.amount ?? 0,
      nowMs,
    );
  }

  /** Adds `amount` (negative: gives back) to the day's, the hour's and the lifetime total, never below 0. */
  #add(agentId: string, day: string, hour: number, currency: string, amount: number): void {
    this.#sql.exec(
      `INSERT INTO spend (agent_id, day, currency, amount) VALUES (?, ?, ?, MAX(0, ?))
       ON CONFLICT (agent_id, day, currency) DO UPDATE SET amount = MAX(0, amount + ?)`,
      agentId,
      day,
      currency,
      amount,
      amount,
    );
    this.#sql.exec(
      `INSERT INTO spend_hours (agent_id, hour, currency, amount) VALUES (?, ?, ?, MAX(0, ?))
       ON CONFLICT (agent_id, hour, currency) DO UPDATE SET amount = MAX(0, amount + ?)`,
      agentId,
      hour,
      currency,
      amount,
      amount,
    );
    this.#sql.exec(
      `INSERT INTO spend_lifetime (agent_id, currency, amount) VALUES (?, ?, MAX(0, ?))
       ON CONFLICT (agent_id, currency) DO UPDATE SET amount = MAX(0, amount + ?)`,
      agentId,
      currency,
      amount,
      amount,
    );
  }

  /**
   * Gives back what `hold` reserved, on the day and in the hour it was reserved (and from the lifetime
   * total), and forgets the hold. A no-op when it is already gone (two callers refused with the same key,
   * or expired), so a release never counts twice.
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
    if (row.currency !== '' && row.amount > 0)
      this.#add(agentId, row.day, hourOf(row.at_ms), row.currency, -row.amount);
    this.#sql.exec(
      'DELETE FROM spend_holds WHERE agent_id = ? AND idem_key = ? AND scope = ?',
      agentId,
      hold.key,
      hold.scope,
    );
  }

  /** Totals that no window can count any more (days before yesterday, hours past the longest window) and holds past the key lifetime. */
  prune(nowMs: number): void {
    this.#sql.exec('DELETE FROM spend WHERE day < ?', utcDay(nowMs - 2 * DAY_MS));
    this.#sql.exec('DELETE FROM spend_hours WHERE hour < ?', firstHourCounted(nowMs, LONGEST_WINDOW_MS));
    this.#sql.exec('DELETE FROM spend_holds WHERE at_ms <= ?', nowMs - HOLD_TTL_MS);
  }

  /** The day's running total per currency. */
  today(agentId: string, nowMs: number): Record<string, number> {
    return byCurrency(
      this.#sql
        .exec<CurrencyRow>(
          'SELECT currency, amount FROM spend WHERE agent_id = ? AND day = ?',
          agentId,
          utcDay(nowMs),
        )
        .toArray(),
    );
  }

  /** Every window's totals per currency, and the last hour's money-moving calls (`GET /admin/agents/{id}`). */
  view(agentId: string, nowMs: number): SpendView {
    const rolling = (windowMs: number) =>
      byCurrency(
        this.#sql
          .exec<CurrencyRow>(
            'SELECT currency, SUM(amount) AS amount FROM spend_hours WHERE agent_id = ? AND hour >= ? GROUP BY currency',
            agentId,
            firstHourCounted(nowMs, windowMs),
          )
          .toArray(),
      );
    const calls: Record<string, number> = {};
    const scopes = this.#sql
      .exec<{ scope: string }>(
        'SELECT scope FROM spend_holds WHERE agent_id = ? AND at_ms > ?',
        agentId,
        nowMs - HOUR_MS,
      )
      .toArray();
    if (scopes.length > 0) calls[ALL_METHODS] = scopes.length;
    for (const { scope } of scopes) {
      const method = scope.split(' ')[0] ?? scope;
      calls[method] = (calls[method] ?? 0) + 1;
    }
    return {
      today: this.today(agentId, nowMs),
      last_7_days: rolling(7 * DAY_MS),
      last_30_days: rolling(30 * DAY_MS),
      lifetime: byCurrency(
        this.#sql
          .exec<CurrencyRow>('SELECT currency, amount FROM spend_lifetime WHERE agent_id = ?', agentId)
          .toArray(),
      ),
      calls_last_hour: calls,
    };
  }
}
