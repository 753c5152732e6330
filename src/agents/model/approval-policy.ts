import type { CatalogEntry } from '../../catalog';

/**
 * An agent's approval policy (docs/agents.md, "Approvals"): which calls a person must approve before
 * Bollard sends them. Amounts are minor units per currency, like the limits. Absent (null) on an agent:
 * nothing needs approval.
 */
export interface ApprovalPolicy {
  /** Money-moving calls at or over this amount need approval; a currency missing from the map always does. */
  at_or_over?: Record<string, number>;
  /** Catalog methods that always need approval, whatever the amount (`refundPayment`, `createTransfer`). */
  methods?: string[];
  /** Every money-moving call needs approval. */
  all_money_moving?: boolean;
  /** At or over this amount (per currency), two different approvers are needed; it implies approval. */
  two_approvers_at_or_over?: Record<string, number>;
  /** How long a person has to decide, and the agent to re-send once approved (default 900). */
  ttl_seconds?: number;
}

export const DEFAULT_APPROVAL_TTL_SECONDS = 900;

/** Why a call needs approval, and from how many different approvers. */
export interface ApprovalNeed {
  approvers: 1 | 2;
  why: string;
}

interface CallMoney {
  amount: number | null;
  currency: string | null;
}

/** True when the policy's thresholds need the call's amount (so a capture without one is looked up). */
export function approvalWantsAmount(policy: ApprovalPolicy | null): boolean {
  return !!policy && (policy.at_or_over !== undefined || policy.two_approvers_at_or_over !== undefined);
}

/** The policy's decision window in milliseconds. */
export function approvalTtlMs(policy: ApprovalPolicy | null): number {
  return (policy?.ttl_seconds ?? DEFAULT_APPROVAL_TTL_SECONDS) * 1000;
}

/** True when `money` is at or over the map's threshold; an unknown amount or a currency the map lacks is. */
function atOrOver(map: Record<string, number>, money: CallMoney, missingCounts: boolean): boolean {
  if (money.amount === null || money.currency === null) return true;
  const threshold = map[money.currency];
  if (threshold === undefined) return missingCounts;
  return money.amount >= threshold;
}

/**
 * Whether a call needs a person's approval under `policy`, chosen to fail closed: a money-moving call whose
 * amount cannot be known, or in a currency the `at_or_over` map does not name, needs approval when a
 * threshold is set; at or over `two_approvers_at_or_over` (or with an unknown amount while that map is
 * set) it needs two different approvers. Null: no approval needed.
 */
export function approvalNeed(
  policy: ApprovalPolicy | null,
  entry: CatalogEntry,
  money: CallMoney,
): ApprovalNeed | null {
  if (!policy) return null;
  const why: string[] = [];
  if (policy.methods?.includes(entry.name)) why.push(`${entry.name} always needs approval`);
  if (policy.all_money_moving && entry.movesMoney) why.push('every money-moving call needs approval');
  const twoMap = policy.two_approvers_at_or_over;
  const two = entry.movesMoney && twoMap !== undefined && atOrOver(twoMap, money, false);
  if (entry.movesMoney && policy.at_or_over && atOrOver(policy.at_or_over, money, true))
    why.push(
      money.amount === null || money.currency === null
        ? 'the amount is not known'
        : `${money.amount} ${money.currency} is at or over the approval threshold`,
    );
  if (two && why.length === 0) why.push('the amount is at or over the two-approver threshold');
  if (why.length === 0) return null;
  return { approvers: two ? 2 : 1, why: why.join('; ') };
}
