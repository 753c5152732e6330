import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { caller, errorOf, openMode, sessionBody } from './helpers';
import { cardToken } from './sim';

interface Session {
  id: string;
  payment_session_secret: string;
  payment_session_token: string;
  _links: { self: { href: string } };
}

describe('POST /v1/payment-sessions and /submit against the simulator', () => {
  it("creates a session in open mode and returns Checkout.com's response unmodified", async () => {
    const call = caller(openMode);
    const res = await call('/v1/payment-sessions', {
      json: sessionBody({ amount: 1999, currency: 'GBP', reference: 'ORD-1' }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Session;
    expect(Object.keys(body).sort()).toEqual([
      '_links',
      'id',
      'payment_session_secret',
      'payment_session_token',
    ]);
    expect(body.id).toMatch(/^ps_/);
    expect(body.payment_session_secret).toMatch(/^pss_/);
    expect(body._links.self.href).toContain(`/payment-sessions/${body.id}`);
    // The Flow token carries the amount Bollard sent upstream.
    const config = JSON.parse(atob(body.payment_session_token.split(':')[1] ?? '')) as {
      amount: number;
      currency: string;
    };
    expect(config).toMatchObject({ amount: 1999, currency: 'GBP' });
  });

  it('approves a submitted session with the 4242 test card token', async () => {
    const call = caller(openMode);
    const session = (await (
      await call('/v1/payment-sessions', { json: sessionBody({ amount: 1500, currency: 'EUR' }) })
    ).json()) as Session;
    const { token } = await cardToken();
    const res = await call(`/v1/payment-sessions/${session.id}/submit`, { json: { session_data: token } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'Approved', type: 'card' });
  });

  it('reports a decline (20051) for the 4544 2491 6767 3670 test card', async () => {
    const call = caller(openMode);
    const session = (await (
      await call('/v1/payment-sessions', { json: sessionBody({ amount: 1500, currency: 'GBP' }) })
    ).json()) as Session;
    const { token } = await cardToken('4544 2491 6767 3670');
    const res = await call(`/v1/payment-sessions/${session.id}/submit`, { json: { session_data: token } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { status: string; id: string };
    expect(body.status).toBe('Declined');
  });

  it('refuses to let the browser change the amount at submit time', async () => {
    const call = caller(openMode);
    const session = (await (
      await call('/v1/payment-sessions', { json: sessionBody({ amount: 1500, currency: 'GBP' }) })
    ).json()) as Session;
    const res = await call(`/v1/payment-sessions/${session.id}/submit`, {
      json: { session_data: 'tok_x', amount: 1 },
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['amount_not_allowed']);
  });

  it('answers 404 for an unknown session and 422 with upstream codes for a bad token', async () => {
    const call = caller(openMode);
    const missing = await call('/v1/payment-sessions/ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ/submit', {
      json: { session_data: 'tok_abcdefghijklmnopqrstuvwxyz' },
    });
    expect(missing.status).toBe(404);
    const session = (await (
      await call('/v1/payment-sessions', { json: sessionBody({ amount: 1500, currency: 'GBP' }) })
    ).json()) as Session;
    const bad = await call(`/v1/payment-sessions/${session.id}/submit`, {
      json: { session_data: 'tok_notarealtokenatallxxxxxx' },
    });
    expect(bad.status).toBe(422);
    const err = await errorOf(bad);
    expect(err.error_type).toBe('request_invalid');
    expect(err.error_codes.length).toBeGreaterThan(0);
  });

  it('uses the order mode from the environment: signed by default (wrangler.toml)', async () => {
    expect(env.STOREFRONT_ORDER_MODE).toBe('signed');
    const call = caller();
    const res = await call('/v1/payment-sessions', { json: sessionBody({ amount: 1999, currency: 'GBP' }) });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual([
      'order_token_required',
      'amount_not_allowed',
      'currency_not_allowed',
    ]);
  });
});
