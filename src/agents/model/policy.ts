import { CATALOG, type CatalogEntry } from '../../catalog';
import { hasWindowCaps } from './budgets';
import type { AgentLimits, DecisionReason, Grants } from './types';

/** True when the grants let an agent call the entry: its area granted at the entry's access or above. */
export function grantAllows(grants: Grants, entry: CatalogEntry): boolean {
  const granted = grants[entry.area];
  return granted === 'write' || (granted === 'read' && entry.access === 'read');
}

/** The catalog entries a set of grants allows, in the guide's order (the agent's MCP tool list). */
export function allowedEntries(grants: Grants): CatalogEntry[] {
  return CATALOG.filter((e) => grantAllows(grants, e));
}

/** True when any money limit is configured, so money-moving calls must state amount and currency. */
export function hasMoneyLimits(limits: AgentLimits): boolean {
  return (
    limits.max_amount_per_call !== undefined ||
    limits.max_amount_per_day !== undefined ||
    limits.currencies !== undefined ||
    hasWindowCaps(limits)
  );
}

export interface Money {
  amount: number;
  currency: string;
}

export type LimitCheck = { ok: true } | { ok: false; reason: DecisionReason; message: string };

/**
 * The per-call part of the limits (currency allow-list, per-call cap). The per-day cap needs the day's
 * running total and is checked atomically in the agent's own Durable Object (`SpendLedger`).
 */
export function checkCallLimits(limits: AgentLimits, money: Money): LimitCheck {
  const { amount, currency } = money;
  if (limits.currencies && !limits.currencies.includes(currency))
    return {
      ok: false,
      reason: 'currency_not_allowed',
      message: `currency ${currency} is not allowed for this agent`,
    };
  const perCall = limits.max_amount_per_call;
  if (perCall) {
    const cap = perCall[currency];
    if (cap === undefined)
      return { ok: false, reason: 'currency_not_allowed', message: `no per-call cap is set for ${currency}` };
    if (amount > cap)
      return {
        ok: false,
        reason: 'amount_limit_exceeded',
        message: `amount ${amount} ${currency} exceeds the per-call limit of ${cap}`,
      };
  }
  if (limits.max_amount_per_day && limits.max_amount_per_day[currency] === undefined)
    return { ok: false, reason: 'currency_not_allowed', message: `no daily cap is set for ${currency}` };
  return { ok: true };
}

/** The UTC day (`2026-11-24`) a spend counts against. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}
