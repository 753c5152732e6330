import { Hono } from 'hono';
import type { JsonObject } from '../lib/body';
import { fromJson, isObject, iso, jsonBody, str, toJson } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { newPaymentSessionId } from '../lib/ids';
import { resolveSource } from './payment-sources';
import { createPayment } from './payments-engine';
import { commonCodes, getSession, urlCode } from './sessions-links-store';
import { resolvePaymentCustomer } from './vault-store';

/**
 * Payment sessions (Flow, facts §4.1) and the server-side submit Flow's `handleSubmit` uses:
 * `POST /payment-sessions/{id}/submit` with a card token as `session_data`.
 */
export const paymentSessionsRoutes = new Hono<SimHonoEnv>();

function base64Json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

paymentSessionsRoutes.post('/payment-sessions', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const codes = commonCodes(body);
  for (const field of ['success_url', 'failure_url']) {
    const code = urlCode(body, field, true);
    if (code) codes.push(code);
  }
  if (codes.length > 0) return invalid(c, ...codes);
  const id = newPaymentSessionId();
  const secret = `pss_${crypto.randomUUID()}`;
  sim.sql.exec(
    `INSERT INTO payment_sessions (id, secret, amount, currency, reference, description, billing, customer, success_url,
      failure_url, capture, three_ds, processing_channel_id, metadata, status, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Active', ?)`,
    id,
    secret,
    body.amount as number,
    body.currency as string,
    str(body.reference) ?? null,
    str(body.description) ?? null,
    JSON.stringify(body.billing),
    toJson(body.customer),
    body.success_url as string,
    body.failure_url as string,
    body.capture === false ? 0 : 1,
    toJson(body['3ds']),
    str(body.processing_channel_id) ?? null,
    toJson(body.metadata),
    sim.now(),
  );
  const self = `${sim.origin}/payment-sessions/${id}`;
  // The token is "base64:" (itself base64-encoded) + ":" + base64 of the Flow configuration (facts §4.1).
  const token = `${btoa('base64')}:${base64Json({
    id,
    amount: body.amount,
    currency: body.currency,
    locale: str(body.locale) ?? 'en-GB',
    payment_methods: [{ type: 'card' }],
    created_on: iso(sim.now()),
  })}`;
  return c.json(
    { id, payment_session_secret: secret, payment_session_token: token, _links: { self: { href: self } } },
    201,
  );
});

paymentSessionsRoutes.post('/payment-sessions/:id/submit', async (c) => {
  const sim = c.var.sim;
  // The body is read first: no await may separate reading the session from paying it.
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const session = getSession(sim.sql, c.req.param('id'));
  if (!session) return notFound(c);
  const codes: string[] = [];
  if (body.session_data === undefined) codes.push('session_data_required');
  else if (typeof body.session_data !== 'string') codes.push('session_data_invalid');
  if (body.amount !== undefined && (!Number.isSafeInteger(body.amount) || (body.amount as number) < 0)) {
    codes.push('amount_invalid');
  }
  if (body.reference !== undefined && (typeof body.reference !== 'string' || body.reference.length > 50)) {
    codes.push('reference_invalid');
  }
  if (body['3ds'] !== undefined && !isObject(body['3ds'])) codes.push('three_ds_invalid');
  if (session.status === 'Approved') codes.push('payment_session_completed');
  if (codes.length > 0) return invalid(c, ...codes);
  const source = resolveSource(sim.sql, { type: 'token', token: body.session_data }, sim.now());
  if (Array.isArray(source)) return invalid(c, ...source);
  const customer = resolvePaymentCustomer(sim.sql, fromJson<JsonObject>(session.customer), sim.now());
  const threeDs = isObject(body['3ds']) ? body['3ds'] : fromJson<JsonObject>(session.three_ds);
  const reference = str(body.reference) ?? session.reference ?? undefined;
  const payment = createPayment(sim, {
    amount: typeof body.amount === 'number' ? body.amount : session.amount,
    currency: session.currency,
    capture: session.capture === 1,
    paymentType: 'Regular',
    card: source.card,
    sourceId: source.sourceId,
    ...(source.billingAddress !== undefined ? { billingAddress: source.billingAddress } : {}),
    ...('customer' in customer && customer.customer ? { customer: customer.customer } : {}),
    ...(session.metadata ? { metadata: fromJson<JsonObject>(session.metadata) ?? {} } : {}),
    ...(threeDs ? { threeDs } : {}),
    ...(reference !== undefined ? { reference } : {}),
    ...(session.description ? { description: session.description } : {}),
    ...(session.processing_channel_id ? { processingChannelId: session.processing_channel_id } : {}),
    successUrl: session.success_url,
    failureUrl: session.failure_url,
    sessionId: session.id,
  });
  if (payment.status === 'Pending') {
    return c.json(
      {
        id: payment.id,
        status: 'Action Required',
        type: 'card',
        action: { type: 'redirect', url: `${sim.origin}/3ds/${payment.id}` },
        payment_session_id: session.id,
        payment_session_secret: session.secret,
      },
      202,
    );
  }
  const approved = payment.approved === 1;
  return c.json(
    {
      id: payment.id,
      status: approved ? 'Approved' : 'Declined',
      type: 'card',
      ...(approved ? {} : { decline_reason: payment.response_summary }),
    },
    201,
  );
});
