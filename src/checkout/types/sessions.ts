import type { Address, Currency, Links, Metadata, Phone } from './common';
import type { ThreeDsRequest } from './payments';

export interface Billing {
  address: Address;
  phone?: Phone;
}

export interface LineItem {
  name: string;
  quantity: number;
  unit_price: number;
  reference?: string;
  total_amount?: number;
}

/** `POST /payment-sessions` body (facts §4.1). */
export interface PaymentSessionRequest {
  amount: number;
  currency: Currency;
  billing: Billing;
  success_url: string;
  failure_url: string;
  reference?: string;
  description?: string;
  display_name?: string;
  customer?: { name?: string; email?: string };
  items?: LineItem[];
  processing_channel_id?: string;
  payment_type?: 'Regular' | 'Recurring' | 'MOTO' | 'Installment' | 'Unscheduled';
  capture?: boolean;
  '3ds'?: ThreeDsRequest;
  locale?: string;
  expires_on?: string;
  enabled_payment_methods?: string[];
  disabled_payment_methods?: string[];
  metadata?: Metadata;
}

/**
 * `POST /payment-sessions` 201. Flow must get this body unmodified (facts §10), secret and token included;
 * it is for the browser that created the session, never for a log line.
 */
export interface PaymentSession {
  id: string;
  payment_session_secret: string;
  payment_session_token: string;
  _links: Links;
}

/** `POST /payment-sessions/{id}/submit` body (Flow `handleSubmit`). */
export interface PaymentSessionSubmitRequest {
  session_data: string;
  amount?: number;
  reference?: string;
  items?: LineItem[];
  '3ds'?: ThreeDsRequest;
  ip_address?: string;
}

/** `POST /payment-sessions/{id}/submit` 201 (Approved/Declined) or 202 (Action Required). */
export type PaymentSessionSubmitResponse =
  | { id: string; status: 'Approved' | 'Declined'; type: string; decline_reason?: string }
  | {
      id: string;
      status: 'Action Required';
      type: string;
      action: Record<string, unknown>;
      payment_session_id: string;
      payment_session_secret: string;
    };

/** `POST /payment-links` body (facts §4.2). */
export interface PaymentLinkRequest {
  amount: number;
  currency: Currency;
  billing: Billing;
  reference?: string;
  description?: string;
  display_name?: string;
  processing_channel_id?: string;
  /** Seconds until the link expires. */
  expires_in?: number;
  customer?: { name?: string; email?: string };
  products?: Array<{ name: string; quantity: number; price: number }>;
  return_url?: string;
  locale?: string;
  capture?: boolean;
  payment_type?: string;
  '3ds'?: ThreeDsRequest;
  metadata?: Metadata;
}

/** `POST /payment-links` 201; the customer pays at `_links.redirect.href`. */
export interface PaymentLinkCreated {
  id: string;
  expires_on: string;
  reference?: string;
  warnings?: unknown[];
  _links: Links;
}

export type PaymentLinkStatus = 'Active' | 'Payment Received' | 'Expired';

/** `GET /payment-links/{id}`. */
export interface PaymentLink {
  id: string;
  status: PaymentLinkStatus;
  payment_id?: string;
  amount: number;
  currency: Currency;
  reference?: string;
  description?: string;
  created_on: string;
  expires_on: string;
  billing?: Billing;
  products?: Array<{ name: string; quantity: number; price: number }>;
  metadata?: Metadata;
  locale?: string;
  return_url?: string;
  _links: Links;
}
