import type { Currency, Links } from './common';

export type DisputeStatus =
  | 'evidence_required'
  | 'evidence_under_review'
  | 'resolved'
  | 'won'
  | 'lost'
  | 'canceled'
  | 'expired'
  | 'accepted'
  | 'arbitration_under_review'
  | 'arbitration_won'
  | 'arbitration_lost';

/** An item of `GET /disputes` (facts §4.9). */
export interface DisputeSummary {
  id: string;
  category: string;
  status: DisputeStatus;
  amount: number;
  currency: Currency;
  reason_code?: string;
  payment_id: string;
  payment_action_id?: string;
  payment_reference?: string;
  payment_method?: string;
  evidence_required_by?: string;
  received_on: string;
  last_update?: string;
  _links?: Links;
}

/** `GET /disputes` query (`limit`/`skip` are the pager's). */
export interface DisputeQuery {
  from?: string;
  to?: string;
  id?: string;
  /** Comma-separated statuses. */
  statuses?: string;
  payment_id?: string;
  payment_reference?: string;
}

/** `GET /disputes/{id}`. */
export interface Dispute extends DisputeSummary {
  resolved_reason?: string;
  relevant_evidence?: string[];
  payment?: { id: string; action_id?: string; amount: number; currency: Currency; method?: string };
}

/** `PUT /disputes/{id}/evidence`: `<kind>_file` / `<kind>_text` pairs. */
export type DisputeEvidence = Partial<
  Record<
    `${
      | 'proof_of_delivery_or_service'
      | 'invoice_or_receipt'
      | 'invoice_showing_distinct_transactions'
      | 'customer_communication'
      | 'refund_or_cancellation_policy'
      | 'recurring_transaction_agreement'
      | 'additional_evidence'}_${'file' | 'text'}`,
    string
  >
> & { proof_of_delivery_or_service_date_text?: string };
