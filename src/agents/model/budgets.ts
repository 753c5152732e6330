import type { CatalogEntry } from '../../catalog';
import { CATALOG } from '../../catalog';
import type { LimitCheck, Money } from './policy';
import type { AgentLimits, CurrencyAmounts, DecisionReason } from './types';

/**
 * Budgets over time (docs/agents.md, "Budgets over time"): per currency over a rolling 7 and 30 days and
 * over the agent's life, and a velocity limit on money-moving calls per rolling hour. Pure: the windows,
 * and the checks against totals the agent's object sums (objects/agent/spend-ledger.ts), which reserves
 * and releases them exactly as it does the day's cap.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The `max_calls_per_hour` key that counts every money-moving method together. */
export const ALL_METHODS = '*';

/** Catalog methods a velocity limit may name: the money-moving ones. */
export const VELOCITY_METHODS: readonly string[] = CATALOG.filter((e) => e.movesMoney).map((e) => e.name);

/** The amount windows besides the UTC day, in the order they are checked. */
export const ROLLING_WINDOWS = [
  { field: 'max_amount_per_7_days', days: 7, reason: 'rolling_7_day_limit_exceeded', label: '7-day' },
  { field: 'max_amount_per_30_days', days: 30, reason: 'rolling_30_day_limit_exceeded', label: '30-day' },
] as const satisfies ReadonlyArray<{
  field: keyof AgentLimits;
  days: number;
  reason: DecisionReason;
  label: string;
}>;

/** The longest rolling window: hourly totals older than this (plus its last hour) can go. */
export const LONGEST_WINDOW_MS = 30 * DAY_MS;

/** The hour bucket a spend at `ms` is counted in. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

/**
 * The first hour bucket a rolling window of `windowMs` ending at `nowMs` still counts. Totals are kept per
 * hour, so a spend counts from when it was made until the window has passed since the end of its hour:
 * between the window and the window plus one hour. Rounding that way fails closed (a spend never leaves
 * a window early).
 */
export function firstHourCounted(nowMs: number, windowMs: number): number {
  return hourOf(nowMs - windowMs);
}

/** Any amount budget over time (they need amount and currency, like the per-call and per-day caps). */
export function hasWindowCaps(limits: AgentLimits): boolean {
  return (
    limits.max_amount_per_7_days !== undefined ||
    limits.max_amount_per_30_days !== undefined ||
    limits.max_amount_lifetime !== undefined
  );
}

export function hasVelocityLimit(limits: AgentLimits): boolean {
  return limits.max_calls_per_hour !== undefined && Object.keys(limits.max_calls_per_hour).length > 0;
}

/** What the agent has counted in a currency, per window (`day` is the UTC day, as `max_amount_per_day`). */
export interface WindowTotals {
  day: number;
  days7: number;
  days30: number;
  lifetime: number;
}

const capMaps = (limits: AgentLimits): Array<[string, CurrencyAmounts | undefined]> => [
  ['max_amount_per_7_days', limits.max_amount_per_7_days],
  ['max_amount_per_30_days', limits.max_amount_per_30_days],
  ['max_amount_lifetime', limits.max_amount_lifetime],
];

/**
 * Fails closed like the other cap maps: once a budget map is set, a currency missing from it is refused.
 * Checked with the per-call limits, before anything is counted.
 */
export function checkBudgetCurrencies(limits: AgentLimits, currency: string): LimitCheck {
  for (const [field, map] of capMaps(limits))
    if (map && map[currency] === undefined)
      return { ok: false, reason: 'currency_not_allowed', message: `no ${field} cap is set for ${currency}` };
  return { ok: true };
}

/**
 * The daily, rolling and lifetime caps for one more `money`, given what is already counted. The first cap
 * it would pass is the refusal, named, with what is used.
 */
export function checkBudgets(limits: AgentLimits, money: Money, totals: WindowTotals): LimitCheck {
  const { amount, currency } = money;
  const over = (cap: number | undefined, used: number) => cap !== undefined && used + amount > cap;
  const day = limits.max_amount_per_day?.[currency];
  if (over(day, totals.day))
    return {
      ok: false,
      reason: 'daily_limit_exceeded',
      message: `amount ${amount} ${currency} would exceed the daily limit of ${day} (${totals.day} used today)`,
    };
  for (const w of ROLLING_WINDOWS) {
    const cap = limits[w.field]?.[currency];
    const used = w.days === 7 ? totals.days7 : totals.days30;
    if (over(cap, used))
      return {
        ok: false,
        reason: w.reason,
        message: `amount ${amount} ${currency} would exceed the rolling ${w.label} limit of ${cap} (${used} used in the last ${w.days} days)`,
      };
  }
  const life = limits.max_amount_lifetime?.[currency];
  if (over(life, totals.lifetime))
    return {
      ok: false,
      reason: 'lifetime_limit_exceeded',
      message: `amount ${amount} ${currency} would exceed the lifetime limit of ${life} (${totals.lifetime} used so far)`,
    };
  return { ok: true };
}

/** Money-moving calls counted in the last hour: all of them, and this method's. */
export interface CallCounts {
  all: number;
  method: number;
}

/** `max_calls_per_hour` for one more call of `entry`: the overall limit (`*`), then the method's own. */
export function checkVelocity(limits: AgentLimits, entry: CatalogEntry, counts: CallCounts): LimitCheck {
  const caps = limits.max_calls_per_hour;
  if (!caps) return { ok: true };
  const all = caps[ALL_METHODS];
  if (all !== undefined && counts.all + 1 > all)
    return {
      ok: false,
      reason: 'velocity_limit_exceeded',
      message: `at most ${all} money-moving calls an hour (${counts.all} in the last hour)`,
    };
  const own = caps[entry.name];
  if (own !== undefined && counts.method + 1 > own)
    return {
      ok: false,
      reason: 'velocity_limit_exceeded',
      message: `at most ${own} ${entry.name} calls an hour (${counts.method} in the last hour)`,
    };
  return { ok: true };
}
