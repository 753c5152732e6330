import type { SimContext } from '../lib/context';
import { newId } from '../lib/ids';
import type { DisputablePayment } from './payment-lookup';

export type DisputeCategory =
  | 'fraudulent'
  | 'unrecognized'
  | 'canceled_recurring'
  | 'product_service_not_received'
  | 'not_as_described'
  | 'credit_not_issued'
  | 'duplicate'
  | 'incorrect_amount'
  | 'general';

export const DISPUTE_STATUSES = [
  'evidence_required',
  'evidence_under_review',
  'resolved',
  'won',
  'lost',
  'canceled',
  'expired',
  'accepted',
  'arbitration_under_review',
  'arbitration_won',
  'arbitration_lost',
] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** Category → a representative Visa reason code and the evidence worth sending for it. */
const CATEGORIES: Record<DisputeCategory, { reasonCode: string; evidence: string[] }> = {
  fraudulent: { reasonCode: '10.4', evidence: ['proof_of_delivery_or_service', 'customer_communication'] },
  unrecognized: { reasonCode: '10.4', evidence: ['invoice_or_receipt', 'customer_communication'] },
  canceled_recurring: {
    reasonCode: '13.2',
    evidence: ['recurring_transaction_agreement', 'refund_or_cancellation_policy'],
  },
  product_service_not_received: {
    reasonCode: '13.1',
    evidence: ['proof_of_delivery_or_service', 'proof_of_delivery_or_service_date'],
  },
  not_as_described: { reasonCode: '13.3', evidence: ['invoice_or_receipt', 'customer_communication'] },
  credit_not_issued: {
    reasonCode: '13.6',
    evidence: ['refund_or_cancellation_policy', 'customer_communication'],
  },
  duplicate: { reasonCode: '12.6.1', evidence: ['invoice_showing_distinct_transactions'] },
  incorrect_amount: { reasonCode: '12.5', evidence: ['invoice_or_receipt'] },
  general: { reasonCode: '13.7', evidence: ['additional_evidence'] },
};

export function isDisputeCategory(value: unknown): value is DisputeCategory {
  return typeof value === 'string' && Object.hasOwn(CATEGORIES, value);
}

/** How long the merchant has to respond, in sim time (the real window depends on the scheme). */
const EVIDENCE_WINDOW_MS = 7 * 24 * 60 * 60_000;

export interface Dispute {
  id: string;
  category: DisputeCategory;
  status: DisputeStatus;
  amount: number;
  currency: string;
  reason_code: string;
  resolved_reason?: string;
  relevant_evidence: string[];
  evidence_required_by: string;
  received_on: string;
  last_update: string;
  payment: {
    id: string;
    action_id: string;
    reference?: string;
    processing_channel_id?: string;
    amount: number;
    currency: string;
    method: string;
    arn: string;
    mcc: string;
    has_refund: boolean;
    processed_on: string;
  };
}

interface DisputeRow extends Record<string, SqlStorageValue> {
  body: string;
  evidence: string;
}

export function createDispute(
  sim: SimContext,
  payment: DisputablePayment,
  amount: number,
  category: DisputeCategory,
): Dispute {
  const now = sim.now();
  const received = new Date(now).toISOString();
  const info = CATEGORIES[category];
  const dispute: Dispute = {
    id: newId('dsp'),
    category,
    status: 'evidence_required',
    amount,
    currency: payment.currency,
    reason_code: info.reasonCode,
    relevant_evidence: info.evidence,
    evidence_required_by: new Date(now + EVIDENCE_WINDOW_MS).toISOString(),
    received_on: received,
    last_update: received,
    payment: {
      id: payment.id,
      action_id: payment.actionId,
      ...(payment.reference ? { reference: payment.reference } : {}),
      ...(payment.processingChannelId ? { processing_channel_id: payment.processingChannelId } : {}),
      amount: payment.amount,
      currency: payment.currency,
      method: payment.method,
      // A 23-digit acquirer reference number, as card schemes issue.
      arn: `7${String(now).padStart(15, '0')}${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
      mcc: '5311',
      has_refund: payment.hasRefund,
      processed_on: payment.processedOn,
    },
  };
  sim.sql.exec(
    `INSERT INTO sim_disputes (id, seq, payment_id, status, received_at, body)
     VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sim_disputes), ?, ?, ?, ?)`,
    dispute.id,
    payment.id,
    dispute.status,
    now,
    JSON.stringify(dispute),
  );
  return dispute;
}

export function getDispute(sql: SqlStorage, id: string): Dispute | null {
  const row = sql.exec<DisputeRow>('SELECT body, evidence FROM sim_disputes WHERE id = ?', id).toArray()[0];
  return row ? (JSON.parse(row.body) as Dispute) : null;
}

/** All disputes, newest first (the order the list endpoint pages through). */
export function allDisputes(sql: SqlStorage): Dispute[] {
  return sql
    .exec<DisputeRow>('SELECT body, evidence FROM sim_disputes ORDER BY seq DESC')
    .toArray()
    .map((r) => JSON.parse(r.body) as Dispute);
}

export function saveDispute(sim: SimContext, dispute: Dispute): Dispute {
  const next = { ...dispute, last_update: new Date(sim.now()).toISOString() };
  sim.sql.exec(
    'UPDATE sim_disputes SET status = ?, body = ? WHERE id = ?',
    next.status,
    JSON.stringify(next),
    next.id,
  );
  return next;
}

export function readEvidence(sql: SqlStorage, id: string): Record<string, string> {
  const row = sql
    .exec<{ evidence: string }>('SELECT evidence FROM sim_disputes WHERE id = ?', id)
    .toArray()[0];
  return row ? (JSON.parse(row.evidence) as Record<string, string>) : {};
}

export function writeEvidence(sql: SqlStorage, id: string, evidence: Record<string, string>): void {
  sql.exec('UPDATE sim_disputes SET evidence = ? WHERE id = ?', JSON.stringify(evidence), id);
}

/** The `data` of a dispute event (facts §6). */
export function disputeEventData(d: Dispute): Record<string, unknown> {
  return {
    id: d.id,
    date: d.received_on,
    category: d.category,
    status: d.status,
    amount: d.amount,
    currency: d.currency,
    reason_code: d.reason_code,
    payment_id: d.payment.id,
    payment_action_id: d.payment.action_id,
    ...(d.payment.reference ? { payment_reference: d.payment.reference } : {}),
    ...(d.payment.processing_channel_id ? { processing_channel_id: d.payment.processing_channel_id } : {}),
    payment_method: d.payment.method,
    payment_arn: d.payment.arn,
    evidence_required_by: d.evidence_required_by,
    ...(d.resolved_reason ? { resolved_reason: d.resolved_reason } : {}),
  };
}

/** The list endpoint's summary of a dispute. */
export function disputeSummary(d: Dispute, origin: string): Record<string, unknown> {
  return {
    id: d.id,
    category: d.category,
    status: d.status,
    amount: d.amount,
    currency: d.currency,
    reason_code: d.reason_code,
    payment_id: d.payment.id,
    payment_action_id: d.payment.action_id,
    ...(d.payment.reference ? { payment_reference: d.payment.reference } : {}),
    payment_arn: d.payment.arn,
    payment_mcc: d.payment.mcc,
    payment_method: d.payment.method,
    evidence_required_by: d.evidence_required_by,
    received_on: d.received_on,
    last_update: d.last_update,
    _links: { self: { href: `${origin}/disputes/${d.id}` } },
  };
}

export function disputeView(d: Dispute, origin: string): Record<string, unknown> {
  const self = `${origin}/disputes/${d.id}`;
  return { ...d, _links: { self: { href: self }, evidence: { href: `${self}/evidence` } } };
}

/** Evidence fields `PUT /disputes/{id}/evidence` accepts (facts §4.9): `<kind>_file` and `<kind>_text`. */
export const EVIDENCE_KINDS = [
  'proof_of_delivery_or_service',
  'invoice_or_receipt',
  'invoice_showing_distinct_transactions',
  'customer_communication',
  'refund_or_cancellation_policy',
  'recurring_transaction_agreement',
  'additional_evidence',
  'proof_of_delivery_or_service_date',
] as const;

/**
 * Validates staged evidence, naming each bad field (`<field>_invalid`, or `evidence_field_unknown`):
 * text up to 500 characters, files as `file_...` ids.
 */
export function parseEvidence(
  body: Record<string, unknown>,
): { ok: true; value: Record<string, string> } | { ok: false; codes: string[] } {
  const codes = new Set<string>();
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(body)) {
    const kind = field.replace(/_(file|text)$/, '');
    const suffix = field.slice(kind.length);
    if (!(EVIDENCE_KINDS as readonly string[]).includes(kind) || (suffix !== '_file' && suffix !== '_text')) {
      codes.add('evidence_field_unknown');
      continue;
    }
    const valid =
      typeof value === 'string' &&
      (suffix === '_file' ? /^file_[a-z0-9]{26}$/.test(value) : value.length > 0 && value.length <= 500);
    if (!valid) codes.add(`${field}_invalid`);
    else out[field] = value;
  }
  if (codes.size > 0) return { ok: false, codes: [...codes] };
  return { ok: true, value: out };
}

/**
 * The simulated scheme decision on submitted evidence: won, unless any text contains "lose" — a
 * documented switch so tests and demos can produce either outcome.
 */
export function decideOutcome(evidence: Record<string, string>): 'won' | 'lost' {
  return Object.entries(evidence).some(([k, v]) => k.endsWith('_text') && /lose/i.test(v)) ? 'lost' : 'won';
}
