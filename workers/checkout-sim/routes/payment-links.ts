import { Hono } from 'hono';
import type { JsonObject } from '../lib/body';
import { fromJson, iso, jsonBody, str, toJson } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { newPaymentLinkId } from '../lib/ids';
import type { LinkRow } from './sessions-links-store';
import { commonCodes, getLink, urlCode } from './sessions-links-store';

/** Payment links (facts §4.2) — paid on the hosted page `/link/{id}` (`routes/pages.ts`). */
export const paymentLinksRoutes = new Hono<SimHonoEnv>();

/** The real default lifetime is unconfirmed; a day is the common dashboard default. */
const DEFAULT_EXPIRES_IN_S = 86_400;
/** 60 days, the longest a link may live. */
const MAX_EXPIRES_IN_S = 5_184_000;

function productsCode(value: unknown): string | null {
  if (value === undefined) return null;
  if (!Array.isArray(value)) return 'products_invalid';
  for (const p of value) {
    if (typeof p !== 'object' || p === null) return 'products_invalid';
    const item = p as JsonObject;
    if (
      typeof item.name !== 'string' ||
      !Number.isSafeInteger(item.quantity) ||
      !Number.isSafeInteger(item.price)
    ) {
      return 'products_invalid';
    }
  }
  return null;
}

paymentLinksRoutes.post('/payment-links', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const codes = commonCodes(body);
  if (typeof body.amount === 'number' && body.amount === 0) codes.push('amount_invalid');
  const returnCode = urlCode(body, 'return_url', false);
  if (returnCode) codes.push(returnCode);
  const expiresIn = body.expires_in;
  if (
    expiresIn !== undefined &&
    !(
      Number.isSafeInteger(expiresIn) &&
      (expiresIn as number) > 0 &&
      (expiresIn as number) <= MAX_EXPIRES_IN_S
    )
  ) {
    codes.push('expires_in_invalid');
  }
  const products = productsCode(body.products);
  if (products) codes.push(products);
  if (codes.length > 0) return invalid(c, ...codes);
  const id = newPaymentLinkId();
  const now = sim.now();
  const expiresAt = now + (typeof expiresIn === 'number' ? expiresIn : DEFAULT_EXPIRES_IN_S) * 1000;
  sim.sql.exec(
    `INSERT INTO payment_links (id, amount, currency, reference, description, billing, customer, products, metadata,
      locale, return_url, capture, three_ds, processing_channel_id, status, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Active', ?, ?)`,
    id,
    body.amount as number,
    body.currency as string,
    str(body.reference) ?? null,
    str(body.description) ?? null,
    JSON.stringify(body.billing),
    toJson(body.customer),
    toJson(body.products),
    toJson(body.metadata),
    str(body.locale) ?? null,
    str(body.return_url) ?? null,
    body.capture === false ? 0 : 1,
    toJson(body['3ds']),
    str(body.processing_channel_id) ?? null,
    now,
    expiresAt,
  );
  return c.json(
    {
      id,
      expires_on: iso(expiresAt),
      ...(typeof body.reference === 'string' ? { reference: body.reference } : {}),
      _links: {
        self: { href: `${sim.origin}/payment-links/${id}` },
        redirect: { href: `${sim.origin}/link/${id}` },
      },
    },
    201,
  );
});

/** `GET /payment-links/{id}`. */
export function linkView(row: LinkRow, origin: string): JsonObject {
  return {
    id: row.id,
    status: row.status,
    ...(row.payment_id ? { payment_id: row.payment_id } : {}),
    amount: row.amount,
    currency: row.currency,
    ...(row.reference !== null ? { reference: row.reference } : {}),
    ...(row.description !== null ? { description: row.description } : {}),
    created_on: iso(row.created_at),
    expires_on: iso(row.expires_at),
    ...(row.processing_channel_id ? { processing_channel_id: row.processing_channel_id } : {}),
    ...(row.customer ? { customer: fromJson<JsonObject>(row.customer) } : {}),
    billing: fromJson<JsonObject>(row.billing),
    ...(row.products ? { products: fromJson<unknown[]>(row.products) } : {}),
    ...(row.metadata ? { metadata: fromJson<JsonObject>(row.metadata) } : {}),
    locale: row.locale ?? 'en-GB',
    ...(row.return_url ? { return_url: row.return_url } : {}),
    _links: {
      self: { href: `${origin}/payment-links/${row.id}` },
      redirect: { href: `${origin}/link/${row.id}` },
      ...(row.payment_id ? { payment: { href: `${origin}/payments/${row.payment_id}` } } : {}),
    },
  };
}

paymentLinksRoutes.get('/payment-links/:id', (c) => {
  const sim = c.var.sim;
  const row = getLink(sim.sql, c.req.param('id'), sim.now());
  if (!row) return notFound(c);
  return c.json(linkView(row, sim.origin));
});
