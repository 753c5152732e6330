/** Shapes shared by several Checkout.com resources (facts §4). Amounts are integers in minor units. */

/** A HAL link: `{ href }`. */
export interface Link {
  href: string;
}

/** HAL `_links`, keyed by relation (`self`, `redirect`, `actions`, ...). */
export type Links = Record<string, Link | undefined>;

/** ISO 4217 alpha-3, e.g. `GBP`. */
export type Currency = string;

export interface Address {
  address_line1?: string;
  address_line2?: string;
  city?: string;
  state?: string;
  zip?: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface Phone {
  country_code?: string;
  number: string;
}

export type Metadata = Record<string, string | number | boolean>;

/** The answer of the 202 payment actions: capture, refund, void. */
export interface ActionAccepted {
  action_id: string;
  reference?: string;
  _links?: Links;
}

/** A `limit`/`skip` list page. */
export interface ListPage<T> {
  limit?: number;
  skip?: number;
  total_count?: number;
  data: T[];
}
