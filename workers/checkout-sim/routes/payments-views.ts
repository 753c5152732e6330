/** The JSON shapes of payments as the API answers them (facts §4.4–4.6). */
import type { JsonObject } from '../lib/body';
import { fromJson, iso } from '../lib/body';
import type { ActionRow, PaymentRow } from './payments-store';
import { balancesOf } from './payments-store';

const href = (url: string) => ({ href: url });

/** `_links` advertise only the actions the payment's state allows now. */
export function paymentLinks(row: PaymentRow, origin: string): JsonObject {
  const self = `${origin}/payments/${row.id}`;
  const b = balancesOf(row);
  return {
    self: href(self),
    actions: href(`${self}/actions`),
    ...(b.available_to_capture > 0 ? { capture: href(`${self}/captures`) } : {}),
    ...(b.available_to_void > 0 ? { void: href(`${self}/voids`) } : {}),
    ...(b.available_to_refund > 0 ? { refund: href(`${self}/refunds`) } : {}),
    ...(row.status === 'Authorized' && row.captured === 0
      ? { authorize: href(`${self}/authorizations`) }
      : {}),
    ...(row.status === 'Pending' ? { redirect: href(`${origin}/3ds/${row.id}`) } : {}),
  };
}

function optional(row: PaymentRow): JsonObject {
  return {
    ...(row.reference !== null ? { reference: row.reference } : {}),
    ...(row.customer ? { customer: fromJson<JsonObject>(row.customer) } : {}),
    ...(row.three_ds ? { '3ds': fromJson<JsonObject>(row.three_ds) } : {}),
    ...(row.expires_on !== null ? { expires_on: iso(row.expires_on) } : {}),
  };
}

/** 201 body of `POST /payments` (approved or declined), `actionId` being the authorization's. */
export function paymentCreated(row: PaymentRow, actionId: string | null, origin: string): JsonObject {
  return {
    id: row.id,
    ...(actionId ? { action_id: actionId } : {}),
    amount: row.amount,
    currency: row.currency,
    approved: row.approved === 1,
    status: row.status,
    ...(row.auth_code ? { auth_code: row.auth_code } : {}),
    response_code: row.response_code,
    response_summary: row.response_summary,
    risk: { flagged: false },
    source: fromJson<JsonObject>(row.source),
    balances: balancesOf(row),
    processed_on: iso(row.created_at),
    processing: {
      acquirer_transaction_id: row.id.slice(4, 16),
      retrieval_reference_number: row.id.slice(16, 28),
    },
    scheme_id: row.id.slice(4, 19),
    ...optional(row),
    _links: paymentLinks(row, origin),
  };
}

/** 202 body of a payment waiting for the customer (3DS): `_links.redirect` is the simulator's page. */
export function paymentPending(row: PaymentRow, origin: string): JsonObject {
  return {
    id: row.id,
    status: 'Pending',
    ...optional(row),
    _links: { self: href(`${origin}/payments/${row.id}`), redirect: href(`${origin}/3ds/${row.id}`) },
  };
}

/** `GET /payments/{id}`. */
export function paymentDetails(row: PaymentRow, actions: ActionRow[], origin: string): JsonObject {
  return {
    id: row.id,
    requested_on: iso(row.created_at),
    source: fromJson<JsonObject>(row.source),
    amount: row.amount,
    currency: row.currency,
    payment_type: row.payment_type,
    ...(row.description !== null ? { description: row.description } : {}),
    approved: row.approved === 1,
    status: row.status,
    balances: balancesOf(row),
    risk: { flagged: false },
    ...(row.metadata ? { metadata: fromJson<JsonObject>(row.metadata) } : {}),
    ...(row.processing_channel_id ? { processing_channel_id: row.processing_channel_id } : {}),
    ...(row.payment_ip ? { payment_ip: row.payment_ip } : {}),
    scheme_id: row.id.slice(4, 19),
    actions: actions.map((a) => ({
      id: a.id,
      type: a.type,
      response_code: a.response_code,
      response_summary: a.response_summary,
    })),
    ...optional(row),
    _links: paymentLinks(row, origin),
  };
}

/** One element of `GET /payments/{id}/actions`. */
export function actionView(a: ActionRow): JsonObject {
  return {
    id: a.id,
    type: a.type,
    processed_on: iso(a.processed_on),
    amount: a.amount,
    approved: a.approved === 1,
    ...(a.auth_code ? { auth_code: a.auth_code } : {}),
    response_code: a.response_code,
    response_summary: a.response_summary,
    ...(a.reference ? { reference: a.reference } : {}),
    processing: {
      acquirer_transaction_id: a.id.slice(4, 16),
      retrieval_reference_number: a.id.slice(16, 28),
    },
    ...(a.metadata ? { metadata: fromJson<JsonObject>(a.metadata) } : {}),
  };
}
