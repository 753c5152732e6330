/** Payment sessions (`ps_...`) and payment links (`pl_...`). */
import type { JsonObject } from '../lib/body';
import { isHttpUrl, isObject, moneyCodes } from '../lib/body';

export type SessionRow = {
  id: string;
  secret: string;
  amount: number;
  currency: string;
  reference: string | null;
  description: string | null;
  billing: string;
  customer: string | null;
  success_url: string;
  failure_url: string;
  capture: number;
  three_ds: string | null;
  processing_channel_id: string | null;
  metadata: string | null;
  status: string;
  payment_id: string | null;
  created_at: number;
};

export type LinkRow = {
  id: string;
  amount: number;
  currency: string;
  reference: string | null;
  description: string | null;
  billing: string;
  customer: string | null;
  products: string | null;
  metadata: string | null;
  locale: string | null;
  return_url: string | null;
  capture: number;
  three_ds: string | null;
  processing_channel_id: string | null;
  status: string;
  payment_id: string | null;
  created_at: number;
  expires_at: number;
};

export function initSessionsLinksSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS payment_sessions (
    id TEXT PRIMARY KEY, secret TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, reference TEXT,
    description TEXT, billing TEXT NOT NULL, customer TEXT, success_url TEXT NOT NULL, failure_url TEXT NOT NULL,
    capture INTEGER NOT NULL, three_ds TEXT, processing_channel_id TEXT, metadata TEXT, status TEXT NOT NULL,
    payment_id TEXT, created_at INTEGER NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS payment_links (
    id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL, reference TEXT, description TEXT,
    billing TEXT NOT NULL, customer TEXT, products TEXT, metadata TEXT, locale TEXT, return_url TEXT,
    capture INTEGER NOT NULL, three_ds TEXT, processing_channel_id TEXT, status TEXT NOT NULL, payment_id TEXT,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
}

export function getSession(sql: SqlStorage, id: string): SessionRow | null {
  return sql.exec<SessionRow>('SELECT * FROM payment_sessions WHERE id = ?', id).toArray()[0] ?? null;
}

/** A link past its expiry moves to `Expired` the first time anyone looks at it. */
export function getLink(sql: SqlStorage, id: string, nowMs: number): LinkRow | null {
  const row = sql.exec<LinkRow>('SELECT * FROM payment_links WHERE id = ?', id).toArray()[0] ?? null;
  if (row && row.status === 'Active' && nowMs > row.expires_at) {
    sql.exec("UPDATE payment_links SET status = 'Expired' WHERE id = ?", id);
    return { ...row, status: 'Expired' };
  }
  return row;
}

const PROCESSING_CHANNEL = /^pc_\w{26}$/;
const COUNTRY = /^[A-Z]{2}$/;

/**
 * Checks shared by sessions and links: money, reference, `billing.address.country`, the optional
 * processing channel, customer, 3DS and metadata objects.
 */
export function commonCodes(body: JsonObject): string[] {
  const codes = moneyCodes(body, true);
  if (body.billing === undefined) codes.push('billing_required');
  else if (!isObject(body.billing)) codes.push('billing_invalid');
  else {
    const address = body.billing.address;
    const country = isObject(address) ? address.country : undefined;
    if (country === undefined) codes.push('billing_address_country_required');
    else if (typeof country !== 'string' || !COUNTRY.test(country))
      codes.push('billing_address_country_invalid');
  }
  if (
    body.description !== undefined &&
    (typeof body.description !== 'string' || body.description.length > 100)
  ) {
    codes.push('description_invalid');
  }
  if (
    body.processing_channel_id !== undefined &&
    (typeof body.processing_channel_id !== 'string' || !PROCESSING_CHANNEL.test(body.processing_channel_id))
  ) {
    codes.push('processing_channel_id_invalid');
  }
  if (body.customer !== undefined && !isObject(body.customer)) codes.push('customer_invalid');
  if (body['3ds'] !== undefined && !isObject(body['3ds'])) codes.push('three_ds_invalid');
  if (body.metadata !== undefined && !isObject(body.metadata)) codes.push('metadata_invalid');
  if (body.capture !== undefined && typeof body.capture !== 'boolean') codes.push('capture_invalid');
  return codes;
}

export function urlCode(body: JsonObject, field: string, required: boolean): string | null {
  const value = body[field];
  if (value === undefined) return required ? `${field}_required` : null;
  return isHttpUrl(value) ? null : `${field}_invalid`;
}

/** Appends the redirect parameters the real flows add (`cko-payment-id`, ...). */
export function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
