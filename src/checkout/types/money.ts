import type { Currency, Links } from './common';

/** `POST /transfers` body (facts §4.10), on the transfers host. */
export interface TransferRequest {
  reference: string;
  transfer_type: 'commission' | 'promotion' | 'refund';
  source: { id: string; amount: number };
  destination: { id: string };
}

/** `POST /transfers` 201. */
export interface TransferCreated {
  id: string;
  status: 'pending' | 'completed' | 'rejected';
  _links?: Links;
}

/** `GET /transfers/{id}`. */
export interface Transfer {
  id: string;
  reference: string;
  status: 'pending' | 'completed' | 'rejected';
  transfer_type: string;
  requested_on: string;
  reason_codes?: string[];
  source: { entity_id?: string; id?: string; amount: number; currency?: Currency };
  destination: { entity_id?: string; id?: string };
}

/** `GET /balances/{id}` (on the balances host); `query` filters, e.g. `currency:EUR`. */
export interface Balances {
  data: Array<{
    descriptor: string;
    holding_currency: Currency;
    balances: { pending: number; available: number; payable: number; collateral: number };
    currency_account_id?: string;
  }>;
}
