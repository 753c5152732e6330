import { describe, expect, it } from 'vitest';
import { body, deliver, envelope, newId } from '../webhooks/helpers';
import { type Caller, caller, errorOf, ORIGIN, openMode, sessionBody } from './helpers';
import { cardToken } from './sim';

/** `GET /v1/payment-sessions/{id}/status`: what is known about a session's payment, read only. */

interface Status {
  session_id: string;
  status: string;
  payment_id?: string;
  source: string;
}

async function newSession(call: Caller, reference: string): Promise<string> {
  const res = await call('/v1/payment-sessions', {
    json: sessionBody({ amount: 1800, currency: 'GBP', reference }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function pay(call: Caller, id: string, card: string): Promise<{ id: string; status: string }> {
  const { token } = await cardToken(card);
  const res = await call(`/v1/payment-sessions/${id}/submit`, { json: { session_data: token } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string };
}

async function status(call: Caller, id: string): Promise<Status> {
  const res = await call(`/v1/payment-sessions/${id}/status`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (await res.json()) as Status;
}

const reference = () => `ST-${crypto.randomUUID().slice(0, 12)}`;

describe('GET /v1/payment-sessions/{id}/status', () => {
  it('says unknown before any payment, then the approved payment, from Checkout.com', async () => {
    const call = caller(openMode);
    const id = await newSession(call, reference());
    expect(await status(call, id)).toEqual({ session_id: id, status: 'unknown', source: 'upstream' });
    const payment = await pay(call, id, '4242 4242 4242 4242');
    const known = await status(call, id);
    // Exactly these fields: no amount, card, customer or secret.
    expect(known).toEqual({ session_id: id, status: 'approved', payment_id: payment.id, source: 'upstream' });
  });

  it('answers from the webhook projection once Bollard received the payment_approved event', async () => {
    const call = caller(openMode);
    const id = await newSession(call, reference());
    const payment = await pay(call, id, '4242 4242 4242 4242');
    const event = envelope(
      'payment_approved',
      { id: payment.id, action_id: newId('act'), amount: 1800, currency: 'GBP' },
      new Date().toISOString(),
    );
    expect((await deliver(body(event))).status).toBe(200);
    expect(await status(call, id)).toEqual({
      session_id: id,
      status: 'approved',
      payment_id: payment.id,
      source: 'webhook',
    });
  });

  it('reports a decline', async () => {
    const call = caller(openMode);
    const id = await newSession(call, reference());
    const payment = await pay(call, id, '4544 2491 6767 3670');
    expect(await status(call, id)).toEqual({
      session_id: id,
      status: 'declined',
      payment_id: payment.id,
      source: 'upstream',
    });
  });

  it("does not report another session's payment under the same order reference", async () => {
    const call = caller(openMode);
    const shared = reference();
    const paid = await newSession(call, shared);
    const other = await newSession(call, shared);
    await pay(call, paid, '4242 4242 4242 4242');
    expect((await status(call, paid)).status).toBe('approved');
    expect(await status(call, other)).toEqual({ session_id: other, status: 'unknown', source: 'upstream' });
  });

  it('answers 404 for a session Bollard did not create and 422 for a malformed id', async () => {
    const call = caller(openMode);
    const missing = await call('/v1/payment-sessions/ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ/status');
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).error_codes).toEqual(['payment_session_not_found']);
    const bad = await call('/v1/payment-sessions/nope/status');
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).error_codes).toEqual(['id_invalid']);
  });

  it('has CORS for the storefront origins and the per-client limit like the other storefront routes', async () => {
    const call = caller({ ...openMode, STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '3' });
    const id = await newSession(call, reference());
    const ok = await call(`/v1/payment-sessions/${id}/status`, { headers: { origin: ORIGIN } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const evil = await call(`/v1/payment-sessions/${id}/status`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    // The session create and the first read spent two of three; the refused origin spent nothing.
    expect((await call(`/v1/payment-sessions/${id}/status`)).status).toBe(200);
    const limited = await call(`/v1/payment-sessions/${id}/status`);
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).error_codes).toEqual(['client_rate_limited']);
  });

  it('is described in the storefront OpenAPI document, and so is the submit 504', async () => {
    const doc = (await (await caller()('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/v1/payment-sessions/{id}/status']?.get?.responses['200']).toBeDefined();
    const submit = doc.paths['/v1/payment-sessions/{id}/submit']?.post;
    expect(submit?.responses['504']).toMatchObject({ headers: { 'Cko-Idempotency-Key': {} } });
  });
});
