import type { ActionAccepted, Address, Currency, Links, Metadata } from './common';

/** Payment status (facts §4.4, java `PaymentStatus`). */
export type PaymentStatus =
  | 'Active'
  | 'Requested'
  | 'Pending'
  | 'Authorized'
  | 'Card Verified'
  | 'Canceled'
  | 'Cancelled'
  | 'Expired'
  | 'Paid'
  | 'Declined'
  | 'Voided'
  | 'Partially Captured'
  | 'Captured'
  | 'Partially Refunded'
  | 'Refunded'
  | 'Authentication Requested'
  | 'Retry Scheduled';

export type PaymentSource =
  | { type: 'token'; token: string }
  | { type: 'id'; id: string; cvv?: string }
  | { type: 'customer'; id: string }
  | {
      type: 'card';
      number: string;
      expiry_month: number;
      expiry_year: number;
      cvv?: string;
      name?: string;
      billing_address?: Address;
      stored?: boolean;
    };

export interface ThreeDsRequest {
  enabled: boolean;
  attempt_n3d?: boolean;
  challenge_indicator?:
    | 'no_preference'
    | 'no_challenge_requested'
    | 'challenge_requested'
    | 'challenge_requested_mandate';
  exemption?: string;
}

/** `POST /payments` body (facts §4.4; the fields Bollard uses). */
export interface PaymentRequest {
  source: PaymentSource;
  /** Omit or 0 for a card verification. */
  amount?: number;
  currency: Currency;
  payment_type?: 'Regular' | 'Recurring' | 'MOTO' | 'Installment' | 'Unscheduled';
  reference?: string;
  description?: string;
  capture?: boolean;
  capture_on?: string;
  authorization_type?: 'Final' | 'Estimated';
  customer?: { id?: string; email?: string; name?: string };
  billing_descriptor?: { name: string; city: string };
  '3ds'?: ThreeDsRequest;
  processing_channel_id?: string;
  risk?: { enabled: boolean };
  success_url?: string;
  failure_url?: string;
  payment_ip?: string;
  metadata?: Metadata;
}

export interface CardSourceDetails {
  type: string;
  id?: string;
  expiry_month?: number;
  expiry_year?: number;
  scheme?: string;
  last4?: string;
  fingerprint?: string;
  bin?: string;
  card_type?: string;
  card_category?: string;
  issuer?: string;
  issuer_country?: string;
  avs_check?: string;
  cvv_check?: string;
}

export interface PaymentBalances {
  total_authorized: number;
  total_voided: number;
  available_to_void: number;
  total_captured: number;
  available_to_capture: number;
  total_refunded: number;
  available_to_refund: number;
}

/** `POST /payments` 201 (processed: approved or declined). */
export interface PaymentProcessed {
  id: string;
  action_id: string;
  amount: number;
  currency: Currency;
  approved: boolean;
  status: PaymentStatus;
  auth_code?: string;
  response_code: string;
  response_summary?: string;
  expires_on?: string;
  risk?: { flagged: boolean };
  source?: CardSourceDetails;
  customer?: { id: string; email?: string; name?: string };
  balances?: PaymentBalances;
  processed_on?: string;
  reference?: string;
  _links: Links;
}

/** `POST /payments` 202: further action (3DS, APM redirect) at `_links.redirect`. */
export interface PaymentPending {
  id: string;
  status: 'Pending';
  reference?: string;
  customer?: { id: string };
  _links: Links;
}

export type PaymentResponse = PaymentProcessed | PaymentPending;

/** `GET /payments/{id}`. */
export interface PaymentDetails {
  id: string;
  requested_on: string;
  source?: CardSourceDetails;
  amount: number;
  currency: Currency;
  payment_type?: string;
  reference?: string;
  description?: string;
  approved?: boolean;
  expires_on?: string;
  status: PaymentStatus;
  balances?: PaymentBalances;
  risk?: { flagged: boolean };
  customer?: { id: string; email?: string; name?: string };
  metadata?: Metadata;
  actions?: Array<{ id: string; type: string; response_code?: string; response_summary?: string }>;
  _links: Links;
}

export type PaymentActionType =
  | 'Authorization'
  | 'Card Verification'
  | 'Void'
  | 'Capture'
  | 'Refund'
  | 'Payout'
  | 'Return';

/** One element of `GET /payments/{id}/actions` (an array, newest first). */
export interface PaymentAction {
  id: string;
  type: PaymentActionType;
  processed_on: string;
  amount: number;
  approved: boolean;
  auth_code?: string;
  response_code: string;
  response_summary?: string;
  reference?: string;
  metadata?: Metadata;
}

export interface CaptureRequest {
  /** Omit for a full capture. */
  amount?: number;
  capture_type?: 'Final' | 'NonFinal';
  reference?: string;
  metadata?: Metadata;
}

export interface RefundRequest {
  /** Omit for a full refund. */
  amount?: number;
  reference?: string;
  metadata?: Metadata;
}

export interface VoidRequest {
  reference?: string;
  metadata?: Metadata;
}

export interface AuthorizationRequest {
  amount?: number;
  reference?: string;
  metadata?: Metadata;
}

/** `POST /payments/{id}/authorizations` 201. */
export interface AuthorizationResponse {
  action_id: string;
  amount: number;
  currency: Currency;
  approved: boolean;
  status: 'Authorized' | 'Declined';
  response_code: string;
  response_summary?: string;
  expires_on?: string;
  balances?: PaymentBalances;
  processed_on?: string;
  reference?: string;
  _links?: Links;
}

export type CaptureResponse = ActionAccepted;
export type RefundResponse = ActionAccepted;
export type VoidResponse = ActionAccepted;
