/**
 * The payment state machine: authorization decided by the test card, 3DS hold, captures, refunds,
 * voids and incremental authorizations, with the guide's events. Shared by `POST /payments`, payment
 * session submits, hosted payment links and the 3DS page.
 */
import type { JsonObject } from '../lib/body';
import { toJson } from '../lib/body';
import type { CardInput } from '../lib/cards';
import { cardOutcome, summarizeCard } from '../lib/cards';
import type { SimContext } from '../lib/context';
import { newId } from '../lib/ids';
import type { PaymentRow } from './payments-store';
import {
  balancesOf,
  DEFAULT_ENTITY_ID,
  getPaymentRow,
  paymentEventData,
  statusFromTotals,
} from './payments-store';

/** Authorizations are held for seven days in the sandbox before they expire. */
const AUTHORIZATION_HOLD_MS = 7 * 24 * 3600 * 1000;

export interface NewPayment {
  amount: number;
  currency: string;
  reference?: string;
  description?: string;
  capture: boolean;
  paymentType: string;
  card: CardInput;
  /** The `src_...` id the source shows: the instrument's, or a fresh one for a token or raw card. */
  sourceId: string;
  billingAddress?: unknown;
  customer?: JsonObject;
  metadata?: JsonObject;
  /** The `3ds` request object; `enabled: true` holds the payment at Pending until the 3DS page finishes. */
  threeDs?: JsonObject;
  processingChannelId?: string;
  successUrl?: string;
  failureUrl?: string;
  sessionId?: string;
  linkId?: string;
  paymentIp?: string;
}

function insertAction(
  sim: SimContext,
  paymentId: string,
  type: string,
  amount: number,
  approved: boolean,
  code: string,
  summary: string,
  extra: { authCode?: string; reference?: string; metadata?: unknown } = {},
): string {
  const id = newId('act');
  sim.sql.exec(
    'INSERT INTO payment_actions (id, payment_id, type, amount, approved, response_code, response_summary, auth_code, processed_on, reference, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    id,
    paymentId,
    type,
    amount,
    approved ? 1 : 0,
    code,
    summary,
    extra.authCode ?? null,
    sim.now(),
    extra.reference ?? null,
    toJson(extra.metadata),
  );
  return id;
}

function emitFor(sim: SimContext, type: string, paymentId: string, actionId?: string): void {
  const data = paymentEventData(sim.sql, paymentId, actionId, sim.origin);
  if (data) sim.emit(type, paymentId, data);
}

function authCode(): string {
  return String(Math.floor(100000 + Math.random() * 900000));
}

/** Records a new payment; without 3DS it is authorized (and captured) at once. Returns the stored row. */
export function createPayment(sim: SimContext, p: NewPayment): PaymentRow {
  const id = newId('pay');
  const summary = summarizeCard(p.card.number, p.card.expiry_month, p.card.expiry_year, p.card.name);
  const source = {
    type: 'card',
    id: p.sourceId,
    ...summary,
    ...(p.billingAddress !== undefined ? { billing_address: p.billingAddress } : {}),
    avs_check: 'G',
    cvv_check: 'Y',
  };
  const threeDs = p.threeDs?.enabled === true;
  sim.sql.exec(
    `INSERT INTO payments (id, created_at, amount, currency, status, approved, reference, description, payment_type,
      capture, source, card_number, customer, metadata, three_ds, processing_channel_id, success_url, failure_url,
      session_id, link_id, entity_id, payment_ip)
     VALUES (?, ?, ?, ?, 'Pending', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id,
    sim.now(),
    p.amount,
    p.currency,
    p.reference ?? null,
    p.description ?? null,
    p.paymentType,
    p.capture ? 1 : 0,
    JSON.stringify(source),
    p.card.number,
    toJson(p.customer),
    toJson(p.metadata),
    threeDs ? JSON.stringify({ downgraded: false, enrolled: 'Y' }) : null,
    p.processingChannelId ?? null,
    p.successUrl ?? null,
    p.failureUrl ?? null,
    p.sessionId ?? null,
    p.linkId ?? null,
    DEFAULT_ENTITY_ID,
    p.paymentIp ?? null,
  );
  if (threeDs) return getPaymentRow(sim.sql, id) as PaymentRow;
  return authorize(sim, id);
}

/**
 * Decides a payment by its card: approved → Authorized / Card Verified (and Captured when `capture`),
 * otherwise Declined; emits the guide's events in the order the real API sends them.
 */
function authorize(sim: SimContext, id: string): PaymentRow {
  const row = getPaymentRow(sim.sql, id) as PaymentRow;
  const outcome = cardOutcome(row.card_number ?? '');
  const verification = row.amount === 0;
  const type = verification ? 'Card Verification' : 'Authorization';
  const code = outcome.approved ? authCode() : null;
  const actionId = insertAction(
    sim,
    id,
    type,
    row.amount,
    outcome.approved,
    outcome.responseCode,
    outcome.responseSummary,
    {
      ...(code ? { authCode: code } : {}),
      ...(row.reference ? { reference: row.reference } : {}),
    },
  );
  const status = !outcome.approved ? 'Declined' : verification ? 'Card Verified' : 'Authorized';
  sim.sql.exec(
    `UPDATE payments SET status = ?, approved = ?, response_code = ?, response_summary = ?, auth_code = ?,
      authorized = ?, expires_on = ?, card_number = NULL WHERE id = ?`,
    status,
    outcome.approved ? 1 : 0,
    outcome.responseCode,
    outcome.responseSummary,
    code,
    outcome.approved ? row.amount : 0,
    status === 'Authorized' ? sim.now() + AUTHORIZATION_HOLD_MS : null,
    id,
  );
  if (!outcome.approved) {
    emitFor(sim, 'payment_declined', id, actionId);
  } else if (verification) {
    emitFor(sim, 'card_verified', id, actionId);
  } else {
    emitFor(sim, 'payment_approved', id, actionId);
    if (row.capture === 1) {
      const captureId = insertAction(sim, id, 'Capture', row.amount, true, '10000', 'Approved');
      sim.sql.exec("UPDATE payments SET captured = amount, status = 'Captured' WHERE id = ?", id);
      emitFor(sim, 'payment_captured', id, captureId);
    }
  }
  settleLinked(sim, id);
  return getPaymentRow(sim.sql, id) as PaymentRow;
}

/** A payment made through a link or session moves that link or session along. */
function settleLinked(sim: SimContext, id: string): void {
  const row = getPaymentRow(sim.sql, id);
  if (!row) return;
  if (row.link_id && row.approved === 1) {
    sim.sql.exec(
      "UPDATE payment_links SET status = 'Payment Received', payment_id = ? WHERE id = ?",
      id,
      row.link_id,
    );
  }
  if (row.session_id) {
    sim.sql.exec(
      'UPDATE payment_sessions SET payment_id = ?, status = ? WHERE id = ?',
      id,
      row.approved === 1 ? 'Approved' : 'Declined',
      row.session_id,
    );
  }
}

/**
 * Finishes a payment held for 3DS: `authenticated` runs the authorization; otherwise the payment is
 * declined as an authentication failure. Returns null when the payment is not waiting for 3DS.
 */
export function completeThreeDs(sim: SimContext, id: string, authenticated: boolean): PaymentRow | null {
  const row = getPaymentRow(sim.sql, id);
  if (row?.status !== 'Pending') return null;
  if (authenticated) {
    sim.sql.exec(
      'UPDATE payments SET three_ds = ? WHERE id = ?',
      JSON.stringify({ downgraded: false, enrolled: 'Y', authentication_response: 'Y', eci: '05' }),
      id,
    );
    return authorize(sim, id);
  }
  const actionId = insertAction(
    sim,
    id,
    'Authorization',
    row.amount,
    false,
    '20154',
    'Authentication failed',
  );
  sim.sql.exec(
    `UPDATE payments SET status = 'Declined', approved = 0, response_code = '20154',
      response_summary = 'Authentication failed', card_number = NULL, three_ds = ? WHERE id = ?`,
    JSON.stringify({ downgraded: false, enrolled: 'Y', authentication_response: 'N' }),
    id,
  );
  emitFor(sim, 'payment_declined', id, actionId);
  settleLinked(sim, id);
  return getPaymentRow(sim.sql, id);
}

export type ActionOutcome =
  | { ok: true; actionId: string; row: PaymentRow }
  | { ok: false; status: 403 | 422; errorType: string; codes: string[] };

const notAllowed = (code: string): ActionOutcome => ({
  ok: false,
  status: 403,
  errorType: 'action_not_allowed',
  codes: [code],
});
const invalidAmount = (code: string): ActionOutcome => ({
  ok: false,
  status: 422,
  errorType: 'request_invalid',
  codes: [code],
});

export interface ActionInput {
  amount?: number;
  reference?: string;
  metadata?: JsonObject;
}

/** Full capture without an amount; a partial capture leaves the rest capturable. */
export function capture(sim: SimContext, row: PaymentRow, input: ActionInput): ActionOutcome {
  const available = balancesOf(row).available_to_capture;
  if (available <= 0) return notAllowed('capture_not_allowed');
  const amount = input.amount ?? available;
  if (amount <= 0) return invalidAmount('amount_invalid');
  if (amount > available) return invalidAmount('capture_value_greater_than_remaining_authorized');
  const actionId = insertAction(sim, row.id, 'Capture', amount, true, '10000', 'Approved', input);
  const next = { ...row, captured: row.captured + amount };
  sim.sql.exec(
    'UPDATE payments SET captured = ?, status = ? WHERE id = ?',
    next.captured,
    statusFromTotals(next),
    row.id,
  );
  emitFor(sim, 'payment_captured', row.id, actionId);
  return { ok: true, actionId, row: getPaymentRow(sim.sql, row.id) as PaymentRow };
}

/** Refunds what was captured and not yet refunded, fully or in part. */
export function refund(sim: SimContext, row: PaymentRow, input: ActionInput): ActionOutcome {
  const available = balancesOf(row).available_to_refund;
  if (available <= 0) return notAllowed('refund_not_allowed');
  const amount = input.amount ?? available;
  if (amount <= 0) return invalidAmount('amount_invalid');
  if (amount > available) return invalidAmount('refund_amount_exceeds_balance');
  const actionId = insertAction(sim, row.id, 'Refund', amount, true, '10000', 'Approved', input);
  const next = { ...row, refunded: row.refunded + amount };
  sim.sql.exec(
    'UPDATE payments SET refunded = ?, status = ? WHERE id = ?',
    next.refunded,
    statusFromTotals(next),
    row.id,
  );
  emitFor(sim, 'payment_refunded', row.id, actionId);
  return { ok: true, actionId, row: getPaymentRow(sim.sql, row.id) as PaymentRow };
}

/** Releases an authorization; only before any capture. */
export function voidPayment(sim: SimContext, row: PaymentRow, input: ActionInput): ActionOutcome {
  const available = balancesOf(row).available_to_void;
  if (available <= 0) return notAllowed('void_not_allowed');
  const actionId = insertAction(sim, row.id, 'Void', available, true, '10000', 'Approved', input);
  sim.sql.exec(
    "UPDATE payments SET voided = ?, status = 'Voided', expires_on = NULL WHERE id = ?",
    available,
    row.id,
  );
  emitFor(sim, 'payment_voided', row.id, actionId);
  return { ok: true, actionId, row: getPaymentRow(sim.sql, row.id) as PaymentRow };
}

/** Raises the authorized amount of an uncaptured authorization (the guide names no event for it). */
export function incrementAuthorization(sim: SimContext, row: PaymentRow, input: ActionInput): ActionOutcome {
  if (row.status !== 'Authorized' || row.captured > 0)
    return notAllowed('authorization_increment_not_allowed');
  const amount = input.amount;
  if (amount === undefined) return invalidAmount('amount_required');
  if (amount <= 0) return invalidAmount('amount_invalid');
  const code = authCode();
  const actionId = insertAction(sim, row.id, 'Authorization', amount, true, '10000', 'Approved', {
    ...input,
    authCode: code,
  });
  sim.sql.exec(
    'UPDATE payments SET authorized = authorized + ?, expires_on = ? WHERE id = ?',
    amount,
    sim.now() + AUTHORIZATION_HOLD_MS,
    row.id,
  );
  return { ok: true, actionId, row: getPaymentRow(sim.sql, row.id) as PaymentRow };
}
