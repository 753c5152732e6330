import type { SessionRecord } from './session-store';

/**
 * What a shopper's page may be told about a payment: approved, declined, pending, or not known. Pure:
 * maps Checkout.com's payment statuses (and the webhook projection's, which are the same names) and
 * picks the payment made through a session from a list of payments by reference.
 */
export type SessionPaymentStatus = 'pending' | 'approved' | 'declined' | 'unknown';

/** Statuses a payment reaches only after its authorization (or card verification) was approved. */
const APPROVED = new Set([
  'Authorized',
  'Card Verified',
  'Captured',
  'Partially Captured',
  'Paid',
  'Partially Refunded',
  'Refunded',
  'Voided',
]);
const DECLINED = new Set(['Declined', 'Canceled', 'Expired']);

/** Maps a Checkout.com payment status; `approved` (the payment's flag) decides an unlisted status. */
export function outcomeOf(status: unknown, approved?: unknown): SessionPaymentStatus {
  if (typeof status === 'string') {
    if (APPROVED.has(status)) return 'approved';
    if (DECLINED.has(status)) return 'declined';
    if (status === 'Pending') return 'pending';
  }
  if (approved === true) return 'approved';
  return 'unknown';
}

/** One payment as a list or a read returns it (the fields this module reads, nothing else is kept). */
export interface PaymentSummary {
  id: string;
  status: SessionPaymentStatus;
  /** Milliseconds since the epoch, or null when the payment did not say. */
  requestedOn: number | null;
}

/** The marker Bollard sets in a session's metadata, carried by the payment made through it. */
export const SESSION_MARKER_FIELD = 'bollard_session';

function asObject(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** A payment's summary from its JSON, or null when it is not a payment. */
export function summarisePayment(value: unknown): PaymentSummary | null {
  const p = asObject(value);
  if (!p || typeof p.id !== 'string' || !/^pay_\w{1,64}$/.test(p.id)) return null;
  const at = typeof p.requested_on === 'string' ? Date.parse(p.requested_on) : Number.NaN;
  return { id: p.id, status: outcomeOf(p.status, p.approved), requestedOn: Number.isNaN(at) ? null : at };
}

/**
 * Whether a payment listed under the session's reference was made through this session. The marker
 * decides when the payment carries one. A payment without any (an API that does not copy a session's
 * metadata to its payment) must at least match the order's amount and currency and be requested after
 * the session was created (with a minute's leeway for clocks).
 */
export function madeThroughSession(value: unknown, session: SessionRecord): boolean {
  const p = asObject(value);
  if (!p) return false;
  const marker = asObject(p.metadata)?.[SESSION_MARKER_FIELD];
  if (marker !== undefined) return marker === session.marker;
  if (p.amount !== session.amount || p.currency !== session.currency) return false;
  const at = typeof p.requested_on === 'string' ? Date.parse(p.requested_on) : Number.NaN;
  return !Number.isNaN(at) && at >= session.createdAt - 60_000;
}

const RANK: Record<SessionPaymentStatus, number> = { approved: 3, pending: 2, declined: 1, unknown: 0 };

/**
 * The payment to report for a session: an approved one if there is any (a session pays at most once),
 * else a pending one, else the most recent. A session can carry several payments (a declined card,
 * then another), so an earlier decline is reported only while no later payment exists.
 */
export function pickSessionPayment(list: readonly unknown[], session: SessionRecord): PaymentSummary | null {
  let best: PaymentSummary | null = null;
  for (const item of list) {
    if (!madeThroughSession(item, session)) continue;
    const p = summarisePayment(item);
    if (!p) continue;
    if (
      best === null ||
      RANK[p.status] > RANK[best.status] ||
      (RANK[p.status] === RANK[best.status] && (p.requestedOn ?? 0) > (best.requestedOn ?? 0))
    ) {
      best = p;
    }
  }
  return best;
}
