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
 *
 * Every rule is also a merge: the maximum of amounts, the union of types, the value of the canonically
 * latest event that carries a field. So the projection is kept as a **fold** (`ProjectionFold`) that one
 * new event is added to, in any order, with the same result as projecting the whole set again. An inbox
 * shard stores the fold beside the projection and adds each first delivery to it, instead of reading and
 * parsing every stored event of the subject on every delivery (which grew with the subject).
 */

import { eventTimeKey } from './event-time';

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

/** A value with the canonical position (event time key, event id) of the event that carried it. */
type Stamped<T> = [key: string, id: string, value: T];

/** A canonical position, (event time key, event id), possibly followed by what sits there. */
type Position = readonly [key: string, id: string, ...rest: unknown[]];

/** True when (key, id) comes after `at` in canonical order, or there is nothing there yet. */
function isLater(key: string, id: string, at: Position | undefined): boolean {
  if (!at) return true;
  return key !== at[0] ? key > at[0] : id > at[1];
}

const BALANCE_FIELDS = ['total_authorized', 'total_captured', 'total_refunded', 'total_voided'] as const;
type BalanceField = (typeof BALANCE_FIELDS)[number];
const ACTION_TYPES = ['payment_captured', 'payment_refunded', 'payment_voided'] as const;
type ActionType = (typeof ACTION_TYPES)[number];
/** Fields whose value is the canonically latest event's that carries one. */
type LatestField =
  | 'currency'
  | 'reference'
  | 'response_code'
  | 'payment_id'
  | 'amount'
  | 'category'
  | 'reason_code'
  | 'evidence_required_by';

const DISPUTE_RANK: Record<string, number> = {
  dispute_received: 1,
  dispute_evidence_required: 2,
  dispute_won: 3,
  dispute_lost: 3,
};

/**
 * What the projection rules need from a set of events, in a form one more event merges into. JSON text
 * as stored; `v` changes whenever the shape does, and a stored fold of another version is rebuilt.
 */
export interface ProjectionFold {
  v: 1;
  /** One entry per event id, in canonical order, with its sort key. */
  timeline: Array<TimelineEntry & { key: string }>;
  /** Distinct event types seen. */
  types: string[];
  /** The highest of each `balances.total_*` snapshot seen. */
  balances: Record<BalanceField, number>;
  /** The highest `payment_approved` amount. */
  approved: number;
  /** Per action type, the largest amount per action id (entries: action ids are data, not keys). */
  actions: Record<ActionType, Array<[string, number]>>;
  latest: Partial<Record<LatestField, Stamped<string | number>>>;
  /** The dispute outcome: the highest-ranked event, the canonically latest among equals. */
  outcome: [key: string, id: string, type: string, rank: number] | null;
}

export const FOLD_VERSION = 1;

export function emptyFold(): ProjectionFold {
  return {
    v: FOLD_VERSION,
    timeline: [],
    types: [],
    balances: { total_authorized: 0, total_captured: 0, total_refunded: 0, total_voided: 0 },
    approved: 0,
    actions: { payment_captured: [], payment_refunded: [], payment_voided: [] },
    latest: {},
    outcome: null,
  };
}

function stamp(
  fold: ProjectionFold,
  field: LatestField,
  key: string,
  id: string,
  value: string | number | undefined,
) {
  if (value !== undefined && isLater(key, id, fold.latest[field])) fold.latest[field] = [key, id, value];
}

/**
 * Adds one event to the fold (in place) and returns whether it was new. An id already in the fold is a
 * repeat and changes nothing; every other rule is a maximum or a "latest wins" by canonical position, so
 * the order events are added in cannot matter. `key` is the event's `eventTimeKey`, when already known.
 */
export function addToFold(
  fold: ProjectionFold,
  e: ProjectionEvent,
  key = eventTimeKey(e.created_on),
): boolean {
  if (fold.timeline.some((t) => t.event_id === e.id)) return false;
  const entry: TimelineEntry & { key: string } = {
    event_id: e.id,
    type: e.type,
    created_on: e.created_on,
    key,
  };
  const action = str(e.data.action_id);
  const amount = int(e.data.amount);
  if (action !== undefined) entry.action_id = action;
  if (amount !== undefined) entry.amount = amount;
  // Events mostly arrive in time order: search from the end.
  let at = fold.timeline.length;
  for (; at > 0; at--) {
    const prev = fold.timeline[at - 1] as TimelineEntry & { key: string };
    if (isLater(key, e.id, [prev.key, prev.event_id])) break;
  }
  fold.timeline.splice(at, 0, entry);

  if (!fold.types.includes(e.type)) fold.types.push(e.type);
  const balances = e.data.balances as Record<string, unknown> | undefined;
  for (const f of BALANCE_FIELDS) fold.balances[f] = Math.max(fold.balances[f], int(balances?.[f]) ?? 0);
  if (e.type === 'payment_approved') fold.approved = Math.max(fold.approved, amount ?? 0);
  const actionType = ACTION_TYPES.find((t) => t === e.type);
  if (actionType) {
    // Two events for one action (a re-sent action under a new event id) count once, at their largest.
    const perAction = fold.actions[actionType];
    const id = action ?? e.id;
    const known = perAction.find(([a]) => a === id);
    if (known) known[1] = Math.max(known[1], amount ?? 0);
    else perAction.push([id, amount ?? 0]);
  }

  stamp(fold, 'currency', key, e.id, str(e.data.currency));
  stamp(fold, 'reference', key, e.id, str(e.data.reference));
  if (e.type === 'payment_approved' || e.type === 'payment_declined' || e.type === 'card_verified')
    stamp(fold, 'response_code', key, e.id, str(e.data.response_code));
  stamp(fold, 'payment_id', key, e.id, str(e.data.payment_id));
  stamp(fold, 'amount', key, e.id, amount);
  stamp(fold, 'category', key, e.id, str(e.data.category));
  stamp(fold, 'reason_code', key, e.id, str(e.data.reason_code));
  stamp(fold, 'evidence_required_by', key, e.id, str(e.data.evidence_required_by));

  const rank = DISPUTE_RANK[e.type] ?? 0;
  const outcome = fold.outcome;
  if (rank > 0 && (!outcome || rank > outcome[3] || (rank === outcome[3] && isLater(key, e.id, outcome))))
    fold.outcome = [key, e.id, e.type, rank];
  return true;
}

/** The fold of a set of events (any order, any repeats). */
export function foldEvents(events: readonly ProjectionEvent[]): ProjectionFold {
  const fold = emptyFold();
  for (const e of events) addToFold(fold, e);
  return fold;
}

function timelineOf(fold: ProjectionFold): TimelineEntry[] {
  return fold.timeline.map(({ key: _key, ...entry }) => entry);
}

function latestString(fold: ProjectionFold, field: LatestField): string | null {
  const v = fold.latest[field]?.[2];
  return typeof v === 'string' ? v : null;
}

/** The larger of the highest balance snapshot and the sum over distinct action ids of one event type. */
function actionTotal(fold: ProjectionFold, type: ActionType, balance: BalanceField): number {
  let sum = 0;
  for (const [, amount] of fold.actions[type]) sum += amount;
  return Math.max(sum, fold.balances[balance]);
}

/** The payment projection of a fold, or null when it holds no event. */
export function paymentFromFold(id: string, fold: ProjectionFold): PaymentProjection | null {
  if (fold.timeline.length === 0) return null;
  const seen = new Set(fold.types);
  const captured = actionTotal(fold, 'payment_captured', 'total_captured');
  const refunded = actionTotal(fold, 'payment_refunded', 'total_refunded');
  const voided = actionTotal(fold, 'payment_voided', 'total_voided');
  // Capture implies an authorization for at least that amount, even if payment_approved is late.
  const authorized = Math.max(fold.approved, fold.balances.total_authorized, captured);

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
    currency: latestString(fold, 'currency'),
    reference: latestString(fold, 'reference'),
    amount_authorized: authorized,
    amount_captured: captured,
    amount_refunded: refunded,
    amount_voided: voided,
    response_code: latestString(fold, 'response_code'),
    events: fold.timeline.length,
    timeline: timelineOf(fold),
  };
}

const OUTCOME_STATUS: Record<string, DisputeStatus> = {
  dispute_received: 'received',
  dispute_evidence_required: 'evidence_required',
  dispute_won: 'won',
  dispute_lost: 'lost',
};

/** The dispute projection of a fold, or null when it holds no event. */
export function disputeFromFold(id: string, fold: ProjectionFold): DisputeProjection | null {
  if (fold.timeline.length === 0) return null;
  const amount = fold.latest.amount?.[2];
  return {
    id,
    // Of two terminal outcomes, the canonically later one (by created_on, then id) wins.
    status: fold.outcome ? (OUTCOME_STATUS[fold.outcome[2]] ?? 'received') : 'received',
    payment_id: latestString(fold, 'payment_id'),
    amount: typeof amount === 'number' ? amount : null,
    currency: latestString(fold, 'currency'),
    category: latestString(fold, 'category'),
    reason_code: latestString(fold, 'reason_code'),
    evidence_required_by: latestString(fold, 'evidence_required_by'),
    events: fold.timeline.length,
    timeline: timelineOf(fold),
  };
}

/** Projects a payment from its events, or null when there are none. */
export function projectPayment(id: string, events: readonly ProjectionEvent[]): PaymentProjection | null {
  return paymentFromFold(id, foldEvents(events));
}

/** Projects a dispute from its events, or null when there are none. */
export function projectDispute(id: string, events: readonly ProjectionEvent[]): DisputeProjection | null {
  return disputeFromFold(id, foldEvents(events));
}
