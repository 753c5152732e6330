import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { admin, api, CARD, call, eventTypes, json, pay, resetSim, SK } from './helpers';

beforeEach(resetSim, 30_000);

const balances = async (id: string) =>
  (await json(await api('GET', `/payments/${id}`, SK))).balances as Record<string, number>;

describe('payment lifecycle', () => {
  it('captures partially then fully, refunds partially then fully, with exact balances and events', async () => {
    const p = await pay({ capture: false, amount: 1000 });
    const id = p.id as string;
    expect(await eventTypes(id)).toEqual(['payment_approved']);
    const cap1 = await api('POST', `/payments/${id}/captures`, SK, { amount: 400, reference: 'cap-1' });
    expect(cap1.status).toBe(202);
    const cap1Body = await json(cap1);
    expect(cap1Body.action_id).toMatch(/^act_/);
    expect(cap1Body.reference).toBe('cap-1');
    expect((cap1Body._links as Json).payment).toEqual({ href: `http://sim.test/payments/${id}` });
    expect(await balances(id)).toEqual({
      total_authorized: 1000,
      total_voided: 0,
      available_to_void: 0,
      total_captured: 400,
      available_to_capture: 600,
      total_refunded: 0,
      available_to_refund: 400,
    });
    expect((await json(await api('GET', `/payments/${id}`, SK))).status).toBe('Partially Captured');
    const over = await api('POST', `/payments/${id}/captures`, SK, { amount: 601 });
    expect(over.status).toBe(422);
    expect((await json(over)).error_codes).toEqual(['capture_value_greater_than_remaining_authorized']);
    expect((await api('POST', `/payments/${id}/captures`, SK)).status).toBe(202);
    expect((await json(await api('GET', `/payments/${id}`, SK))).status).toBe('Captured');
    expect((await api('POST', `/payments/${id}/captures`, SK, {})).status).toBe(403);

    expect((await api('POST', `/payments/${id}/refunds`, SK, { amount: 250 })).status).toBe(202);
    expect(await balances(id)).toMatchObject({
      total_captured: 1000,
      total_refunded: 250,
      available_to_refund: 750,
    });
    expect((await json(await api('GET', `/payments/${id}`, SK))).status).toBe('Partially Refunded');
    const tooMuch = await api('POST', `/payments/${id}/refunds`, SK, { amount: 751 });
    expect((await json(tooMuch)).error_codes).toEqual(['refund_amount_exceeds_balance']);
    expect((await api('POST', `/payments/${id}/refunds`, SK, {})).status).toBe(202);
    expect(await balances(id)).toMatchObject({ total_refunded: 1000, available_to_refund: 0 });
    expect((await json(await api('GET', `/payments/${id}`, SK))).status).toBe('Refunded');
    expect((await api('POST', `/payments/${id}/refunds`, SK, {})).status).toBe(403);
    expect(await eventTypes(id)).toEqual([
      'payment_approved',
      'payment_captured',
      'payment_captured',
      'payment_refunded',
      'payment_refunded',
    ]);
  });

  it('voids only before capture; otherwise 403 action_not_allowed', async () => {
    const auth = await pay({ capture: false });
    const v = await api('POST', `/payments/${auth.id}/voids`, SK, { reference: 'void-1' });
    expect(v.status).toBe(202);
    const got = await json(await api('GET', `/payments/${auth.id}`, SK));
    expect(got.status).toBe('Voided');
    expect(got.balances).toMatchObject({ total_voided: 1000, available_to_void: 0, available_to_capture: 0 });
    expect((await api('POST', `/payments/${auth.id}/captures`, SK)).status).toBe(403);
    expect(await eventTypes(auth.id as string)).toEqual(['payment_approved', 'payment_voided']);

    const captured = await pay();
    const refused = await api('POST', `/payments/${captured.id}/voids`, SK, {});
    expect(refused.status).toBe(403);
    const body = await json(refused);
    expect(body.error_type).toBe('action_not_allowed');
    expect(body.request_id).toBeTruthy();
  });

  it('increments an authorization', async () => {
    const auth = await pay({ capture: false, amount: 1000 });
    const inc = await api('POST', `/payments/${auth.id}/authorizations`, SK, { amount: 500 });
    expect(inc.status).toBe(201);
    const body = await json(inc);
    expect(body).toMatchObject({
      approved: true,
      status: 'Authorized',
      amount: 500,
      currency: 'GBP',
      response_code: '10000',
    });
    expect(body.balances).toMatchObject({
      total_authorized: 1500,
      available_to_capture: 1500,
      available_to_void: 1500,
    });
    expect((await api('POST', `/payments/${auth.id}/authorizations`, SK, {})).status).toBe(422);
    await api('POST', `/payments/${auth.id}/captures`, SK);
    expect((await api('POST', `/payments/${auth.id}/authorizations`, SK, { amount: 1 })).status).toBe(403);
  });

  it('lists actions newest first', async () => {
    const p = await pay({ capture: false });
    await api('POST', `/payments/${p.id}/captures`, SK, { amount: 300 });
    await api('POST', `/payments/${p.id}/refunds`, SK, { amount: 100 });
    const res = await api('GET', `/payments/${p.id}/actions`, SK);
    expect(res.status).toBe(200);
    const actions = (await res.json()) as Json[];
    expect(actions.map((a) => a.type)).toEqual(['Refund', 'Capture', 'Authorization']);
    expect(actions.map((a) => a.amount)).toEqual([100, 300, 1000]);
    expect(actions[2]?.auth_code).toMatch(/^\d{6}$/);
  });

  it('records declines and card verifications with their events', async () => {
    const declined = await pay({}, { ...CARD, number: '4724117215951699' });
    expect(declined.response_code).toBe('20054');
    expect(await eventTypes(declined.id as string)).toEqual(['payment_declined']);
    expect((await api('POST', `/payments/${declined.id}/captures`, SK)).status).toBe(403);
    const verified = await pay({ amount: 0 });
    expect(await eventTypes(verified.id as string)).toEqual(['card_verified']);
  });

  it('answers 404 for unknown payments on every payment path', async () => {
    const id = 'pay_unknownaaaaaaaaaaaaaaaaaaaaa';
    expect((await api('GET', `/payments/${id}`, SK)).status).toBe(404);
    expect((await api('GET', `/payments/${id}/actions`, SK)).status).toBe(404);
    for (const action of ['captures', 'refunds', 'voids', 'authorizations']) {
      expect((await api('POST', `/payments/${id}/${action}`, SK, {})).status).toBe(404);
    }
  });
});

describe('sources', () => {
  it('pays with a stored instrument and with a customer default instrument', async () => {
    const tokenRes = await api('POST', '/tokens', 'pk_sbox_devpublickeyaaaaaaaaaaaaaaq', CARD);
    const token = (await json(tokenRes)).token as string;
    const inst = await json(
      await api('POST', '/instruments', SK, {
        type: 'token',
        token,
        customer: { email: 'a@example.com', name: 'A', default: true },
      }),
    );
    expect(inst.id).toMatch(/^src_/);
    const byId = await json(
      await api('POST', '/payments', SK, {
        source: { type: 'id', id: inst.id },
        amount: 10,
        currency: 'EUR',
      }),
    );
    expect(byId.status).toBe('Captured');
    expect((byId.source as Json).id).toBe(inst.id);
    const customerId = (inst.customer as Json).id as string;
    const byCustomer = await json(
      await api('POST', '/payments', SK, {
        source: { type: 'customer', id: customerId },
        amount: 10,
        currency: 'EUR',
      }),
    );
    expect(byCustomer.status).toBe('Captured');
    expect((byCustomer.customer as Json).id).toBe(customerId);
    const unknown = await api('POST', '/payments', SK, {
      source: { type: 'id', id: 'src_nopeaaaaaaaaaaaaaaaaaaaaaa' },
      amount: 10,
      currency: 'EUR',
    });
    expect((await json(unknown)).error_codes).toEqual(['source_id_invalid']);
  });
});

describe('3DS', () => {
  it('holds the payment Pending with a redirect to the simulator page, which completes it', async () => {
    const p = await pay({
      '3ds': { enabled: true },
      success_url: 'https://shop.example/ok',
      failure_url: 'https://shop.example/ko',
    });
    expect(p.status).toBe('Pending');
    const redirect = ((p._links as Json).redirect as Json).href as string;
    expect(redirect).toBe(`http://sim.test/3ds/${p.id}`);
    const details = await json(await api('GET', `/payments/${p.id}`, SK));
    expect(details.status).toBe('Pending');
    expect(((details._links as Json).redirect as Json).href).toBe(redirect);
    const page = await api('GET', `/3ds/${p.id}`, null);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Complete');
    const done = await api('POST', `/3ds/${p.id}`, null, undefined, {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(done.status).toBe(302);
    // The form above sent no outcome: that is a failure.
    expect(done.headers.get('Location')).toBe(`https://shop.example/ko?cko-payment-id=${p.id}`);
    expect((await json(await api('GET', `/payments/${p.id}`, SK))).status).toBe('Declined');
    expect(await eventTypes(p.id as string)).toEqual(['payment_declined']);
  });

  it('authorizes and captures after a completed challenge', async () => {
    const p = await pay({
      '3ds': { enabled: true },
      success_url: 'https://shop.example/ok',
      failure_url: 'https://shop.example/ko',
    });
    const done = await api('POST', `/3ds/${p.id}`, null, undefined, {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(done.status).toBe(302);
    const p2 = await pay({
      '3ds': { enabled: true },
      success_url: 'https://shop.example/ok',
      failure_url: 'https://shop.example/ko',
    });
    const ok = await call(`/3ds/${p2.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'outcome=complete',
    });
    expect(ok.headers.get('Location')).toBe(`https://shop.example/ok?cko-payment-id=${p2.id}`);
    const got = await json(await api('GET', `/payments/${p2.id}`, SK));
    expect(got).toMatchObject({ status: 'Captured', approved: true });
    expect(await eventTypes(p2.id as string)).toEqual(['payment_approved', 'payment_captured']);
    // A finished challenge cannot be replayed.
    const again = await call(`/3ds/${p2.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'outcome=complete',
    });
    expect(again.status).toBe(409);
  });
});

describe('listing payments', () => {
  it('pages with limit/skip, filters by reference, and validates paging', async () => {
    for (let i = 0; i < 5; i++) await pay({ reference: i < 2 ? 'ORD-A' : `ORD-${i}` });
    const page1 = await json(await api('GET', '/payments?limit=2', SK));
    expect(page1).toMatchObject({ limit: 2, skip: 0, total_count: 5 });
    expect((page1.data as Json[]).map((p) => p.reference)).toEqual(['ORD-4', 'ORD-3']);
    const page3 = await json(await api('GET', '/payments?limit=2&skip=4', SK));
    expect((page3.data as Json[]).map((p) => p.reference)).toEqual(['ORD-A']);
    const filtered = await json(await api('GET', '/payments?reference=ORD-A', SK));
    expect(filtered.total_count).toBe(2);
    const bad = await api('GET', '/payments?limit=0&skip=-1', SK);
    expect(bad.status).toBe(422);
    expect((await json(bad)).error_codes).toEqual(['paging_limit_invalid', 'paging_skip_invalid']);
    expect((await json(await api('GET', '/payments?limit=101', SK))).error_codes).toEqual([
      'paging_limit_invalid',
    ]);
  });

  it('requires processing_channel_id when configured to', async () => {
    await admin('POST', '/_sim/config', { require_processing_channel_id: true });
    const res = await api('POST', '/payments', SK, { source: CARD, amount: 10, currency: 'EUR' });
    expect((await json(res)).error_codes).toEqual(['processing_channel_id_required']);
    const ok = await api('POST', '/payments', SK, {
      source: CARD,
      amount: 10,
      currency: 'EUR',
      processing_channel_id: 'pc_abcdefghijklmnopqrstuvwxyz',
    });
    expect(ok.status).toBe(201);
  });
});
