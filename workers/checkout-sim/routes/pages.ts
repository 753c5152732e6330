import type { Context } from 'hono';
import { Hono } from 'hono';
import type { JsonObject } from '../lib/body';
import { fromJson } from '../lib/body';
import { parseCard } from '../lib/cards';
import type { SimHonoEnv } from '../lib/context';
import { newId } from '../lib/ids';
import { linkPage, linkPaidPage } from '../pages/link-page';
import { threeDsDonePage, threeDsPage } from '../pages/three-ds-page';
import { completeThreeDs, createPayment } from './payments-engine';
import type { PaymentRow } from './payments-store';
import { getPaymentRow } from './payments-store';
import { getLink, withParams } from './sessions-links-store';
import { resolvePaymentCustomer } from './vault-store';

/**
 * The hosted pages a browser visits without credentials: `/link/{id}` (pay a payment link with a test
 * card) and `/3ds/{id}` (complete or fail a payment's 3DS challenge). Plain HTML forms.
 */
export const pagesRoutes = new Hono<SimHonoEnv>();

async function form(c: Context<SimHonoEnv>): Promise<URLSearchParams> {
  return new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
}

pagesRoutes.get('/link/:id', (c) => {
  const sim = c.var.sim;
  const link = getLink(sim.sql, c.req.param('id'), sim.now());
  if (!link) return c.html('<!doctype html><title>Not found</title><p>No such payment link.</p>', 404);
  const attempted = c.req.query('cko-payment-id');
  const failed = attempted ? getPaymentRow(sim.sql, attempted) : null;
  const error =
    failed && failed.approved === 0
      ? `Payment declined: ${failed.response_summary ?? 'declined'}`
      : undefined;
  return c.html(linkPage(link, error));
});

pagesRoutes.post('/link/:id', async (c) => {
  const sim = c.var.sim;
  // The form is read first: no await may separate reading the link from paying it.
  const fields = await form(c);
  const link = getLink(sim.sql, c.req.param('id'), sim.now());
  if (!link) return c.html('<!doctype html><title>Not found</title><p>No such payment link.</p>', 404);
  if (link.status !== 'Active') return c.html(linkPage(link), link.status === 'Expired' ? 410 : 409);
  const card = parseCard(
    {
      number: fields.get('number') ?? '',
      expiry_month: Number(fields.get('expiry_month')),
      expiry_year: Number(fields.get('expiry_year')),
      ...(fields.get('cvv') ? { cvv: fields.get('cvv') } : {}),
      ...(fields.get('name') ? { name: fields.get('name') } : {}),
    },
    sim.now(),
  );
  if (Array.isArray(card)) return c.html(linkPage(link, `Check the card details (${card.join(', ')}).`), 422);
  const customer = resolvePaymentCustomer(sim.sql, fromJson<JsonObject>(link.customer), sim.now());
  const threeDs = fromJson<JsonObject>(link.three_ds);
  const retryUrl = `${sim.origin}/link/${link.id}`;
  const payment = createPayment(sim, {
    amount: link.amount,
    currency: link.currency,
    capture: link.capture === 1,
    paymentType: 'Regular',
    card,
    sourceId: newId('src'),
    ...('customer' in customer && customer.customer ? { customer: customer.customer } : {}),
    ...(link.metadata ? { metadata: fromJson<JsonObject>(link.metadata) ?? {} } : {}),
    ...(threeDs ? { threeDs } : {}),
    ...(link.reference ? { reference: link.reference } : {}),
    ...(link.description ? { description: link.description } : {}),
    ...(link.processing_channel_id ? { processingChannelId: link.processing_channel_id } : {}),
    successUrl: link.return_url ?? retryUrl,
    failureUrl: retryUrl,
    linkId: link.id,
  });
  if (payment.status === 'Pending') return c.redirect(`/3ds/${payment.id}`, 302);
  if (payment.approved !== 1) {
    return c.html(linkPage(link, `Payment declined: ${payment.response_summary ?? 'declined'}`), 402);
  }
  if (link.return_url) return c.redirect(withParams(link.return_url, { 'cko-payment-id': payment.id }), 302);
  return c.html(linkPaidPage(link, payment.id));
});

pagesRoutes.get('/3ds/:id', (c) => {
  const payment = getPaymentRow(c.var.sim.sql, c.req.param('id'));
  if (!payment) return c.html('<!doctype html><title>Not found</title><p>No such payment.</p>', 404);
  return c.html(threeDsPage(payment));
});

/** Where the customer goes after 3DS: the payment's success or failure URL, with the payment id. */
function afterThreeDs(payment: PaymentRow): string | null {
  const target = payment.approved === 1 ? payment.success_url : payment.failure_url;
  if (!target) return null;
  const params: Record<string, string> = { 'cko-payment-id': payment.id };
  if (payment.session_id) params['cko-payment-session-id'] = payment.session_id;
  return withParams(target, params);
}

pagesRoutes.post('/3ds/:id', async (c) => {
  const sim = c.var.sim;
  const fields = await form(c);
  const existing = getPaymentRow(sim.sql, c.req.param('id'));
  if (!existing) return c.html('<!doctype html><title>Not found</title><p>No such payment.</p>', 404);
  const done = completeThreeDs(sim, existing.id, fields.get('outcome') === 'complete');
  if (!done) return c.html(threeDsPage(existing), 409);
  const target = afterThreeDs(done);
  return target ? c.redirect(target, 302) : c.html(threeDsDonePage(done));
});
