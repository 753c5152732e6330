import type { Access, Area } from '../../catalog';
import type { ApprovalPolicy } from './approval-policy';
import type { Scopes } from './scope';

/** Per-area access: `write` includes `read`. An area absent from the map is denied. */
export type Grants = Partial<Record<Area, Access>>;

/** Amounts are in the currency's minor unit, as Checkout.com sends them (`1000` EUR = 10.00 EUR). */
export type CurrencyAmounts = Record<string, number>;

/** Limits on money-moving writes. Once a cap map is set, a currency missing from it is refused. */
export interface AgentLimits {
  max_amount_per_call?: CurrencyAmounts;
  /**
   * Per UTC day, per currency, summed over allowed money-moving calls, less those that definitely did
   * nothing (an upstream 4xx, or nothing sent). An unknown outcome counts until a retry with its key says.
   */
  max_amount_per_day?: CurrencyAmounts;
  /** ISO 4217 codes money-moving calls may use. */
  currencies?: string[];
  // Budgets over time (issue 18, scope-budgets; model/budgets.ts): held and released like the daily cap.
  /** Per rolling 7 days (whole hours: docs/agents.md, "Budgets over time"), per currency. */
  max_amount_per_7_days?: CurrencyAmounts;
  /** Per rolling 30 days, per currency. */
  max_amount_per_30_days?: CurrencyAmounts;
  /** Over the agent's whole life, per currency. */
  max_amount_lifetime?: CurrencyAmounts;
  /** Money-moving calls per rolling hour: `*` for all of them, or per catalog method name. */
  max_calls_per_hour?: Record<string, number>;
}

/** An agent as the admin API shows it. The key itself is never stored or shown again. */
export interface AgentView {
  id: string;
  name: string;
  grants: Grants;
  /** Object scope per granted area (issue 18, scope-budgets): effective values, defaults filled in. */
  scope: Scopes;
  limits: AgentLimits;
  /** ISO 8601, or null for no expiry. */
  expires_at: string | null;
  created_on: string;
  updated_on: string;
  /** When the current key was issued (creation or last rotation). */
  key_issued_on: string;
  /** The key's first characters, to tell keys apart in a list (`bak_abcd…`). */
  key_prefix: string;
  revoked_on: string | null;
  status: 'active' | 'expired' | 'revoked';
  /** Approvals: which calls a person must approve first (null: none). docs/agents.md, "Approvals". */
  approval: ApprovalPolicy | null;
}

/** Why a call was refused or how it ended; recorded in the audit log. */
export type DecisionReason =
  | 'allowed'
  | 'agent_key_missing'
  | 'agent_key_invalid'
  | 'agent_key_expired'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'grant_required'
  | 'currency_not_allowed'
  | 'amount_required'
  | 'amount_limit_exceeded'
  | 'daily_limit_exceeded'
  | 'body_invalid'
  /** The caller's `Cko-Idempotency-Key` (REST) or `idempotency_key` (MCP) is not 1-255 visible ASCII. */
  | 'idempotency_key_invalid'
  /** The key already holds a reservation for this call with a smaller amount or another currency. */
  | 'idempotency_key_reused'
  | 'upstream_failed'
  /** A write may have taken effect and Bollard could not learn whether it did (`504 upstream_outcome_unknown`). */
  | 'outcome_unknown'
  /**
   * Set by the sweep on a call that was sent upstream but whose outcome was never appended (the Worker
   * stopped between its answer and the outcome record): what happened is not in the log.
   */
  | 'outcome_unrecorded'
  // ── approvals (docs/agents.md, "Approvals") ──
  /** `approval` entry: the call needs a person's approval; it was held, answered 428, nothing sent. */
  | 'approval_requested'
  /** A re-send while its approval is still pending: 428 again. */
  | 'approval_pending'
  /** A call under an approval's key that is not the approved request (another body, amount or path). */
  | 'approval_mismatch'
  /** A call whose approval lapsed; `approval` entry: it lapsed. */
  | 'approval_expired'
  /** A call whose approval was declined; `approval` entry: an approver declined. */
  | 'approval_declined'
  /** `approval` entry: one approver approved (the approval is approved once enough different ones have). */
  | 'approval_approved'
  /** `approval` entry: the approved call ran (its answer is kept and replayed). */
  | 'approval_executed'
  /** A re-send of an executed approval: its original answer, replayed without calling upstream. */
  | 'approval_replayed'
  /** A re-send while the approved call was still running for another request, which did not end in time. */
  | 'approval_in_progress'
  // Object scope and budgets over time (issue 18, scope-budgets).
  /** The call names an object this agent did not create through Bollard, and its scope there is `own`. */
  | 'object_not_owned'
  | 'rolling_7_day_limit_exceeded'
  | 'rolling_30_day_limit_exceeded'
  | 'lifetime_limit_exceeded'
  /** `max_calls_per_hour`: too many money-moving calls in the last hour (overall or of this method). */
  | 'velocity_limit_exceeded';

/**
 * `failed`: allowed by policy, but no usable upstream answer — reason `upstream_failed` (nothing was done
 * upstream, or a read failed) or `outcome_unknown` (a write may have taken effect; retry with its key).
 */
export type Decision = 'allowed' | 'denied' | 'failed';

/** A new agent as `POST /admin/agents` validated it (admin/input.ts). */
export interface CreateAgentInput {
  name: string;
  grants: Grants;
  /** As given; areas left out take the default (model/scope.ts). */
  scope: Scopes;
  limits: AgentLimits;
  expires_at: string | null;
  /** Approvals (null: none). */
  approval: ApprovalPolicy | null;
}

/** The fields `PATCH /admin/agents/{id}` replaces; absent ones are kept. */
export interface PatchAgentInput {
  name?: string;
  grants?: Grants;
  /** Replaced whole, like grants and limits. */
  scope?: Scopes;
  limits?: AgentLimits;
  expires_at?: string | null;
  /** Approvals: replaced whole; null removes the policy. */
  approval?: ApprovalPolicy | null;
}
