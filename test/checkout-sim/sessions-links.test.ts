import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { admin, api, call, eventTypes, json, resetSim, SK, STOREFRONT_SK, tokenize } from './helpers';

beforeEach(resetSim, 30_000);

const SESSION = {
  amount: 2500,
  currency: 'EUR',
  reference: 'ORD-S1',
  billing: { address: { country: 'NL' } },
  success_url: 'https://shop.example/success',
  failure_url: 'https://shop.example/failure',
};

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('payment sessions', () => {
  it('creates a session in the documented shape', async () => {
    const res = await api('POST', '/payment-sessions', STOREFRONT_SK, SESSION);
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.id).toMatch(/^ps_[A-Za-z0-9]{27}$/);
    expect(body.payment_session_secret).toMatch(/^pss_[0-9a-f-]{36}$/);
    const token = body.payment_session_token as string;
    expect(token.startsWith(`${btoa('base64')}:`)).toBe(true);
    expect(JSON.parse(atob(token.split(':')[1] as string)).id).toBe(body.id);
    expect(body._links).toEqual({ self: { href: `http://sim.test/payment-sessions/${body.id}` } });
  });

  it('names each missing required field', async () => {
    const res = await api('POST', '/payment-sessions', SK, {});
    expect(res.status).toBe(422);
    expect((await json(res)).error_codes).toEqual([
      'amount_required',
      'currency_required',
      'billing_required',
      'success_url_required',
      'failure_url_required',
    ]);
    const bad = await api('POST', '/payment-sessions', SK, {
      ...SESSION,
      billing: { address: {} },
      success_url: 'ftp://x',
    });
    expect((await json(bad)).error_codes).toEqual([
      'billing_address_country_required',
      'success_url_invalid',
    ]);
  });

  it('submits a card token as session data: approved, declined, or action required', async () => {
    const session = await json(await api('POST', '/payment-sessions', SK, SESSION));
    const ok = await api('POST', `/payment-sessions/${session.id}/submit`, SK, {
      session_data: await tokenize(),
    });
    expect(ok.status).toBe(201);
    const paid = await json(ok);
    expect(paid).toMatchObject({ status: 'Approved', type: 'card' });
    const payment = await json(await api('GET', `/payments/${paid.id}`, SK));
    expect(payment).toMatchObject({ amount: 2500, currency: 'EUR', reference: 'ORD-S1', status: 'Captured' });
    expect(await eventTypes(paid.id as string)).toEqual(['payment_approved', 'payment_captured']);
    const again = await api('POST', `/payment-sessions/${session.id}/submit`, SK, {
      session_data: await tokenize(),
    });
    expect((await json(again)).error_codes).toEqual(['payment_session_completed']);

    const s2 = await json(await api('POST', '/payment-sessions', SK, SESSION));
    const declined = await json(
      await api('POST', `/payment-sessions/${s2.id}/submit`, SK, {
        session_data: await tokenize({
          type: 'card',
          number: '4544249167673670',
          expiry_month: 1,
          expiry_year: 2031,
        }),
      }),
    );
    expect(declined).toMatchObject({ status: 'Declined', decline_reason: 'Insufficient Funds' });

    const s3 = await json(
      await api('POST', '/payment-sessions', SK, { ...SESSION, '3ds': { enabled: true } }),
    );
    const pending = await api('POST', `/payment-sessions/${s3.id}/submit`, SK, {
      session_data: await tokenize(),
    });
    expect(pending.status).toBe(202);
    const action = await json(pending);
    expect(action).toMatchObject({ status: 'Action Required', type: 'card', payment_session_id: s3.id });
    const url = (action.action as Json).url as string;
    const done = await call(new URL(url).pathname, form({ outcome: 'complete' }));
    expect(done.headers.get('Location')).toBe(
      `https://shop.example/success?cko-payment-id=${action.id}&cko-payment-session-id=${s3.id}`,
    );
  });

  it('requires gateway:payment for submit and answers 404 for an unknown session', async () => {
    const session = await json(await api('POST', '/payment-sessions', SK, SESSION));
    const key = 'sk_sbox_testdetailsonlyaaaaaaaaaaaaq';
    await admin('POST', '/_sim/config', {
      keys: { [key]: { kind: 'secret', scopes: ['gateway:payment-details'] } },
    });
    expect(
      (await api('POST', `/payment-sessions/${session.id}/submit`, key, { session_data: 'tok_x' })).status,
    ).toBe(403);
    expect(
      (await api('POST', '/payment-sessions/ps_nope/submit', SK, { session_data: 'tok_x' })).status,
    ).toBe(404);
  });
});

describe('payment links', () => {
  const LINK = {
    amount: 4200,
    currency: 'GBP',
    reference: 'ORD-L1',
    billing: { address: { country: 'GB' } },
    return_url: 'https://shop.example/thanks',
  };

  it('creates a link and pays it on the hosted page with a test card', async () => {
    const res = await api('POST', '/payment-links', STOREFRONT_SK, LINK);
    expect(res.status).toBe(201);
    const link = await json(res);
    expect(link.id).toMatch(/^pl_/);
    expect(link.reference).toBe('ORD-L1');
    const redirect = ((link._links as Json).redirect as Json).href as string;
    expect(redirect).toBe(`http://sim.test/link/${link.id}`);
    expect(Date.parse(link.expires_on as string)).toBeGreaterThan(Date.now());

    const page = await call(`/link/${link.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('42.00 GBP');
    expect(html).toContain('name="number"');

    const declined = await call(
      `/link/${link.id}`,
      form({ number: '4544249167673670', expiry_month: '12', expiry_year: '2030', cvv: '100' }),
    );
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Insufficient Funds');
    expect((await json(await api('GET', `/payment-links/${link.id}`, SK))).status).toBe('Active');

    const paid = await call(
      `/link/${link.id}`,
      form({ number: '4242424242424242', expiry_month: '12', expiry_year: '2030', cvv: '100' }),
    );
    expect(paid.status).toBe(302);
    const location = new URL(paid.headers.get('Location') as string);
    expect(location.origin + location.pathname).toBe('https://shop.example/thanks');
    const paymentId = location.searchParams.get('cko-payment-id') as string;
    expect(paymentId).toMatch(/^pay_/);

    const got = await json(await api('GET', `/payment-links/${link.id}`, STOREFRONT_SK));
    expect(got).toMatchObject({
      id: link.id,
      status: 'Payment Received',
      payment_id: paymentId,
      amount: 4200,
      currency: 'GBP',
    });
    expect(await eventTypes(paymentId)).toEqual(['payment_approved', 'payment_captured']);
    const payment = await json(await api('GET', `/payments/${paymentId}`, SK));
    expect(payment).toMatchObject({ amount: 4200, reference: 'ORD-L1', status: 'Captured' });
    expect(
      (
        await call(
          `/link/${link.id}`,
          form({ number: '4242424242424242', expiry_month: '12', expiry_year: '2030' }),
        )
      ).status,
    ).toBe(409);
  });

  it('expires after expires_in', async () => {
    const link = await json(await api('POST', '/payment-links', SK, { ...LINK, expires_in: 60 }));
    await admin('POST', '/_sim/config', { advance_clock_ms: 61_000 });
    expect((await json(await api('GET', `/payment-links/${link.id}`, SK))).status).toBe('Expired');
    const page = await call(`/link/${link.id}`);
    expect(await page.text()).toContain('expired');
    expect(
      (
        await call(
          `/link/${link.id}`,
          form({ number: '4242424242424242', expiry_month: '12', expiry_year: '2030' }),
        )
      ).status,
    ).toBe(410);
  });

  it('validates, and answers 404 for unknown links', async () => {
    const bad = await api('POST', '/payment-links', SK, {
      amount: 0,
      currency: 'GBP',
      billing: { address: { country: 'GB' } },
      expires_in: -5,
    });
    expect((await json(bad)).error_codes).toEqual(['amount_invalid', 'expires_in_invalid']);
    expect((await api('GET', '/payment-links/pl_nope', SK)).status).toBe(404);
    expect((await call('/link/pl_nope')).status).toBe(404);
  });

  it('sends a link payment through 3DS when the link asks for it', async () => {
    const link = await json(await api('POST', '/payment-links', SK, { ...LINK, '3ds': { enabled: true } }));
    const res = await call(
      `/link/${link.id}`,
      form({ number: '4242424242424242', expiry_month: '12', expiry_year: '2030' }),
    );
    expect(res.status).toBe(302);
    const threeDs = res.headers.get('Location') as string;
    expect(threeDs).toMatch(/^\/3ds\/pay_/);
    const done = await call(threeDs, form({ outcome: 'complete' }));
    expect(done.headers.get('Location')).toMatch(/^https:\/\/shop\.example\/thanks\?cko-payment-id=pay_/);
    expect((await json(await api('GET', `/payment-links/${link.id}`, SK))).status).toBe('Payment Received');
  });
});
