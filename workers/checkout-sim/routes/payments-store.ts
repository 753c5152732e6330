/**
 * Payment storage and the read API the events module uses (`getPayment`, `paymentEventData`; sim-events:
 * import these from here rather than reading the tables, whose columns may change).
 * Money is in minor units; every change to a payment happens without an `await`, so it is atomic inside
 * the one Durable Object.
 */
import type { JsonObject } from '../lib/body';
import { fromJson, iso } from '../lib/body';

/** The entity every simulated payment settles to (balances and transfers use it). */
export const DEFAULT_ENTITY_ID = 'ent_simdefaultentityaaaaaaaaaa';
/** The processing channel assumed when a payment names none. */
export const DEFAULT_PROCESSING_CHANNEL_ID = 'pc_simdefaultchannelaaaaaaaaa';

export type PaymentRow = {
  id: string;
  created_at: number;
  amount: number;
  currency: string;
  status: string;
  approved: number;
  reference: string | null;
  description: string | null;
  payment_type: string;
  capture: number;
  response_code: string | null;
  response_summary: string | null;
  auth_code: string | null;
  /** JSON: the public card summary (`type`, `id`, `last4`, ...). */
  source: string;
  /** Kept only to decide the outcome of a payment waiting for 3DS; never shown. */
  card_number: string | null;
  customer: string | null;
  metadata: string | null;
  three_ds: string | null;
  processing_channel_id: string | null;
  success_url: string | null;
  failure_url: string | null;
  session_id: string | null;
  link_id: string | null;
  authorized: number;
  captured: number;
  refunded: number;
  voided: number;
  expires_on: number | null;
  entity_id: string;
  payment_ip: string | null;
};

export type ActionRow = {
  id: string;
  payment_id: string;
  type: string;
  amount: number;
  approved: number;
  response_code: string;
  response_summary: string;
  auth_code: string | null;
  processed_on: number;
  reference: string | null;
  metadata: string | null;
};

export function initPaymentsSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
    status TEXT NOT NULL, approved INTEGER NOT NULL, reference TEXT, description TEXT, payment_type TEXT NOT NULL,
    capture INTEGER NOT NULL, response_code TEXT, response_summary TEXT, auth_code TEXT, source TEXT NOT NULL,
    card_number TEXT, customer TEXT, metadata TEXT, three_ds TEXT, processing_channel_id TEXT, success_url TEXT,
    failure_url TEXT, session_id TEXT, link_id TEXT, authorized INTEGER NOT NULL DEFAULT 0,
    captured INTEGER NOT NULL DEFAULT 0, refunded INTEGER NOT NULL DEFAULT 0, voided INTEGER NOT NULL DEFAULT 0,
    expires_on INTEGER, entity_id TEXT NOT NULL, payment_ip TEXT)`);
  sql.exec('CREATE INDEX IF NOT EXISTS payments_reference ON payments (reference)');
  sql.exec(`CREATE TABLE IF NOT EXISTS payment_actions (
    id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, type TEXT NOT NULL, amount INTEGER NOT NULL,
    approved INTEGER NOT NULL, response_code TEXT NOT NULL, response_summary TEXT NOT NULL, auth_code TEXT,
    processed_on INTEGER NOT NULL, reference TEXT, metadata TEXT)`);
  sql.exec('CREATE INDEX IF NOT EXISTS payment_actions_payment ON payment_actions (payment_id)');
}

export function getPaymentRow(sql: SqlStorage, id: string): PaymentRow | null {
  return sql.exec<PaymentRow>('SELECT * FROM payments WHERE id = ?', id).toArray()[0] ?? null;
}

/** Newest first, as the API lists them. */
export function listActions(sql: SqlStorage, paymentId: string): ActionRow[] {
  return sql
    .exec<ActionRow>('SELECT * FROM payment_actions WHERE payment_id = ? ORDER BY rowid DESC', paymentId)
    .toArray();
}

export function getAction(sql: SqlStorage, actionId: string): ActionRow | null {
  return sql.exec<ActionRow>('SELECT * FROM payment_actions WHERE id = ?', actionId).toArray()[0] ?? null;
}

export interface Balances {
  total_authorized: number;
  total_voided: number;
  available_to_void: number;
  total_captured: number;
  available_to_capture: number;
  total_refunded: number;
  available_to_refund: number;
}

/** The payment's balances (facts §4.4): what can still be captured, voided and refunded. */
export function balancesOf(row: PaymentRow): Balances {
  const capturable = (row.status === 'Authorized' || row.status === 'Partially Captured') && row.voided === 0;
  return {
    total_authorized: row.authorized,
    total_voided: row.voided,
    available_to_void: row.status === 'Authorized' && row.captured === 0 ? row.authorized : 0,
    total_captured: row.captured,
    available_to_capture: capturable ? row.authorized - row.captured : 0,
    total_refunded: row.refunded,
    available_to_refund: row.captured - row.refunded,
  };
}

/** The status that follows from the totals of an authorized payment. */
export function statusFromTotals(row: PaymentRow): string {
  if (row.voided > 0) return 'Voided';
  if (row.refunded > 0) return row.refunded >= row.captured ? 'Refunded' : 'Partially Refunded';
  if (row.captured > 0) return row.captured >= row.authorized ? 'Captured' : 'Partially Captured';
  return 'Authorized';
}

/** The stored payment, in the shape the events module reads. */
export interface StoredPayment {
  id: string;
  amount: number;
  currency: string;
  status: string;
  approved: boolean;
  reference: string | null;
  balances: Balances;
  source: JsonObject;
  customer: JsonObject | null;
  metadata: JsonObject | null;
  processing_channel_id: string;
  entity_id: string;
  created_on: string;
  /** The latest action's id (the one a webhook about the payment's last change names). */
  last_action_id: string | null;
}

export function getPayment(sql: SqlStorage, id: string): StoredPayment | null {
  const row = getPaymentRow(sql, id);
  if (!row) return null;
  const last = sql
    .exec<{ id: string }>(
      'SELECT id FROM payment_actions WHERE payment_id = ? ORDER BY rowid DESC LIMIT 1',
      id,
    )
    .toArray()[0];
  return {
    id: row.id,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    approved: row.approved === 1,
    reference: row.reference,
    balances: balancesOf(row),
    source: fromJson<JsonObject>(row.source) ?? {},
    customer: fromJson<JsonObject>(row.customer) ?? null,
    metadata: fromJson<JsonObject>(row.metadata) ?? null,
    processing_channel_id: row.processing_channel_id ?? DEFAULT_PROCESSING_CHANNEL_ID,
    entity_id: row.entity_id,
    created_on: iso(row.created_at),
    last_action_id: last ? last.id : null,
  };
}

/** A webhook card source writes `last_4` where API responses write `last4` (facts §6). */
function eventSource(source: JsonObject): JsonObject {
  const { last4, ...rest } = source;
  return { ...rest, last_4: last4 };
}

/**
 * The webhook `data` object for a payment (facts §6): for an authorization or verification event the
 * payment's own facts; for a capture/refund/void (`actionId` names it) the action's amount and codes
 * plus the payment's balances. `origin` prefixes `event_links`.
 */
export function paymentEventData(
  sql: SqlStorage,
  id: string,
  actionId?: string,
  origin = '',
): JsonObject | null {
  const row = getPaymentRow(sql, id);
  if (!row) return null;
  const action = actionId ? getAction(sql, actionId) : null;
  const latest = listActions(sql, id)[0] ?? null;
  const act = action ?? latest;
  const eventLinks = {
    payment: `${origin}/payments/${row.id}`,
    payment_actions: `${origin}/payments/${row.id}/actions`,
  };
  const processing = {
    acquirer_transaction_id: act ? act.id.slice(4, 16) : row.id.slice(4, 16),
    retrieval_reference_number: row.id.slice(4, 16),
  };
  const base: JsonObject = {
    id: row.id,
    action_id: act ? act.id : null,
    reference: row.reference ?? undefined,
    currency: row.currency,
    processed_on: iso(act ? act.processed_on : row.created_at),
    metadata: fromJson<JsonObject>(row.metadata) ?? {},
    event_links: eventLinks,
  };
  const isMoneyAction = act && (act.type === 'Capture' || act.type === 'Refund' || act.type === 'Void');
  if (isMoneyAction && act) {
    return {
      ...base,
      amount: act.amount,
      response_code: act.response_code,
      response_summary: act.response_summary,
      balances: balancesOf(row),
      processing: {
        acquirer_transaction_id: processing.acquirer_transaction_id,
        acquirer_reference_number: row.id.slice(4, 27),
      },
    };
  }
  return {
    ...base,
    amount: row.amount,
    auth_code: row.auth_code ?? undefined,
    customer: fromJson<JsonObject>(row.customer) ?? undefined,
    payment_ip: row.payment_ip ?? undefined,
    payment_type: row.payment_type,
    processing,
    '3ds': fromJson<JsonObject>(row.three_ds) ?? undefined,
    response_code: row.response_code ?? undefined,
    response_summary: row.response_summary ?? undefined,
    risk: { flagged: false, score: 0 },
    scheme_id: row.id.slice(4, 19),
    source: eventSource(fromJson<JsonObject>(row.source) ?? {}),
    balances: balancesOf(row),
  };
}
