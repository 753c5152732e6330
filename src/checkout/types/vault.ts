import type { Address, Phone } from './common';

/** `POST /tokens` body for a card (facts §4.3). Sent with the public key only. */
export interface CardTokenRequest {
  type: 'card';
  number: string;
  expiry_month: number;
  expiry_year: number;
  name?: string;
  cvv?: string;
  billing_address?: Address;
  phone?: Phone;
}

/** `POST /tokens` 201: a single-use token, valid for 15 minutes. */
export interface CardToken {
  type: 'card';
  token: string;
  expires_on: string;
  expiry_month: number;
  expiry_year: number;
  scheme?: string;
  last4: string;
  bin: string;
  card_type?: string;
  card_category?: string;
  issuer?: string;
  issuer_country?: string;
  name?: string;
}

/** `POST /instruments` body (facts §4.8). */
export interface InstrumentRequest {
  type: 'token';
  token: string;
  account_holder?: { first_name?: string; last_name?: string; billing_address?: Address; phone?: Phone };
  customer?: { id?: string; email?: string; name?: string; default?: boolean };
}

/** `POST /instruments` 201 and `GET /instruments/{id}`. */
export interface Instrument {
  type: string;
  id: string;
  fingerprint: string;
  expiry_month?: number;
  expiry_year?: number;
  scheme?: string;
  last4?: string;
  bin?: string;
  card_type?: string;
  card_category?: string;
  issuer?: string;
  issuer_country?: string;
  customer?: { id: string; email?: string; name?: string; default?: boolean };
}

/** `POST /customers` body (facts §4.7). */
export interface CustomerRequest {
  email: string;
  name?: string;
  phone?: Phone;
  metadata?: Record<string, string | number | boolean>;
  default?: string;
  instruments?: string[];
}

export type CustomerUpdate = Partial<CustomerRequest>;

/** `GET /customers/{id}`. */
export interface Customer {
  id: string;
  email: string;
  name?: string;
  phone?: Phone;
  metadata?: Record<string, string | number | boolean>;
  default?: string;
  instruments: Instrument[];
}
