/**
 * The built-in projection: one record per payment and per dispute, computed from the SET of events
 * stored for it — never from their arrival order. Checkout.com delivers unordered and at least once, so
 * every rule here is order-independent and idempotent:
 *
 * - status from precedence over the event types seen (a `payment_captured` that arrives before its
 *   `payment_approved` still yields Captured), never "last event wins";
 * - amounts as the larger of two lower bounds: the highest `balances.total_*` snapshot seen, and the sum
 *   over distinct `action_id`s — so a second `payment_refunded` for the same action counts once;
 * - descriptive fields and the timeline from a canonical sort by (event time, `id`), the time parsed
 *   from `created_on` rather than compared as text.
 */

import { compareEventTime } from './event-time';

/** What the projection reads from one stored event. */
export interface ProjectionEvent {
  id: string;
  type: string;
  created_on: string;
  data: Record<string, unknown>;
}

export interface TimelineEntry {
  event_id: string;
  type: string;
  created_on: string;
  action_id?: string;
  amount?: number;
}

export type PaymentStatus =
  | 'Pending'
  | 'Declined'
  | 'Card Verified'
  | 'Authorized'
  | 'Partially Captured'
  | 'Captured'
  | 'Partially Refunded'
  | 'Refunded'
  | 'Voided';

export interface PaymentProjection {
  id: string;
  status: PaymentStatus;
  currency: string | null;
  reference: string | null;
  amount_authorized: number;
  amount_captured: number;
  amount_refunded: number;
  amount_voided: number;
  response_code: string | null;
  events: number;
  timeline: TimelineEntry[];
}

export type DisputeStatus = 'received' | 'evidence_required' | 'won' | 'lost';

export interface DisputeProjection {
  id: string;
  status: DisputeStatus;
  payment_id: string | null;
  amount: number | null;
  currency: string | null;
  category: string | null;
  reason_code: string | null;
  evidence_required_by: string | null;
  events: number;
  timeline: TimelineEntry[];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/**
 * Deduplicates by event id and sorts canonically by event time (parsed: `created_on`'s fractional
 * digits vary, so its text does not sort — see event-time.ts), then id, so the input's order and
 * repeats cannot matter.
 */
function canonical(events: readonly ProjectionEvent[]): ProjectionEvent[] {
  const byId = new Map<string, ProjectionEvent>();
  for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()].sort(compareEventTime);
}

function timelineOf(events: readonly ProjectionEvent[]): TimelineEntry[] {
  return events.map((e) => {
    const entry: TimelineEntry = { event_id: e.id, type: e.type, created_on: e.created_on };
    const action = str(e.data.action_id);
    const amount = int(e.data.amount);
    if (action !== undefined) entry.action_id = action;
    if (amount !== undefined) entry.amount = amount;
    return entry;
  });
}

/** The larger of the highest balance snapshot and the sum over distinct action ids of one event type. */
function actionTotal(events: readonly ProjectionEvent[], type: string, balanceField: string): number {
  const perAction = new Map<string, number>();
  let snapshot = 0;
  for (const e of events) {
    const balances = e.data.balances as Record<string, unknown> | undefined;
    const b = int(balances?.[balanceField]);
    if (b !== undefined && b > snapshot) snapshot = b;
    if (e.type !== type) continue;
    const action = str(e.data.action_id) ?? e.id;
    const amount = int(e.data.amount) ?? 0;
    // Two events for one action (a re-sent action under a new event id) count once, at their largest.
    perAction.set(action, Math.max(perAction.get(action) ?? 0, amount));
  }
  let sum = 0;
  for (const v of perAction.values()) sum += v;
  return Math.max(sum, snapshot);
}

/** Projects a payment from its events, or null when none of them is a payment event. */
export function projectPayment(id: string, input: readonly ProjectionEvent[]): PaymentProjection | null {
  const events = canonical(input);
  if (events.length === 0) return null;
  const seen = new Set(events.map((e) => e.type));
  let authorized = 0;
  let currency: string | null = null;
  let reference: string | null = null;
  let responseCode: string | null = null;
  for (const e of events) {
    currency = str(e.data.currency) ?? currency;
    reference = str(e.data.reference) ?? reference;
    if (e.type === 'payment_approved' || e.type === 'payment_declined' || e.type === 'card_verified') {
      responseCode = str(e.data.response_code) ?? responseCode;
    }
    if (e.type === 'payment_approved') authorized = Math.max(authorized, int(e.data.amount) ?? 0);
    const balances = e.data.balances as Record<string, unknown> | undefined;
    authorized = Math.max(authorized, int(balances?.total_authorized) ?? 0);
  }
  const captured = actionTotal(events, 'payment_captured', 'total_captured');
  const refunded = actionTotal(events, 'payment_refunded', 'total_refunded');
  const voided = actionTotal(events, 'payment_voided', 'total_voided');
  // Capture implies an authorization for at least that amount, even if payment_approved is late.
  authorized = Math.max(authorized, captured);

  let status: PaymentStatus = 'Pending';
  if (seen.has('payment_voided')) status = 'Voided';
  else if (refunded > 0 || seen.has('payment_refunded'))
    status = refunded >= captured ? 'Refunded' : 'Partially Refunded';
  else if (captured > 0 || seen.has('payment_captured'))
    status = captured >= authorized ? 'Captured' : 'Partially Captured';
  else if (seen.has('payment_approved')) status = 'Authorized';
  else if (seen.has('card_verified')) status = 'Card Verified';
  else if (seen.has('payment_declined')) status = 'Declined';

  return {
    id,
    status,
    currency,
    reference,
    amount_authorized: authorized,
    amount_captured: captured,
    amount_refunded: refunded,
    amount_voided: voided,
    response_code: responseCode,
    events: events.length,
    timeline: timelineOf(events),
  };
}

const DISPUTE_RANK: Record<string, number> = {
  dispute_received: 1,
  dispute_evidence_required: 2,
  dispute_won: 3,
  dispute_lost: 3,
};

/** Projects a dispute from its events, or null when there are none. */
export function projectDispute(id: string, input: readonly ProjectionEvent[]): DisputeProjection | null {
  const events = canonical(input);
  if (events.length === 0) return null;
  const out: DisputeProjection = {
    id,
    status: 'received',
    payment_id: null,
    amount: null,
    currency: null,
    category: null,
    reason_code: null,
    evidence_required_by: null,
    events: events.length,
    timeline: timelineOf(events),
  };
  let rank = 0;
  for (const e of events) {
    out.payment_id = str(e.data.payment_id) ?? out.payment_id;
    out.amount = int(e.data.amount) ?? out.amount;
    out.currency = str(e.data.currency) ?? out.currency;
    out.category = str(e.data.category) ?? out.category;
    out.reason_code = str(e.data.reason_code) ?? out.reason_code;
    out.evidence_required_by = str(e.data.evidence_required_by) ?? out.evidence_required_by;
    // Canonical order makes ">=" deterministic: of two terminal outcomes, the later created_on wins.
    const r = DISPUTE_RANK[e.type] ?? 0;
    if (r > 0 && r >= rank) {
      rank = r;
      out.status =
        e.type === 'dispute_won'
          ? 'won'
          : e.type === 'dispute_lost'
            ? 'lost'
            : e.type === 'dispute_evidence_required'
              ? 'evidence_required'
              : 'received';
    }
  }
  return out;
}
