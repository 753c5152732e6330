import { beforeEach, describe, expect, it } from 'vitest';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import {
  admin,
  api,
  CARD,
  call,
  json,
  PK,
  pay,
  resetSim,
  SK,
  STOREFRONT_SK,
  stats,
  tokenize,
} from './helpers';

beforeEach(resetSim, 30_000);

describe('basics', () => {
  it('answers /healthz and puts Cko-Request-Id on every response', async () => {
    const health = await call('/healthz');
    expect(health.status).toBe(200);
    expect(health.headers.get('Cko-Request-Id')).toMatch(/^sim_/);
    const unauth = await api('GET', '/payments/pay_x', null);
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('Cko-Request-Id')).toBeTruthy();
    const missing = await api('GET', '/payments/pay_unknownaaaaaaaaaaaaaaaaaaaaa', SK);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Cko-Request-Id')).toBeTruthy();
  });

  it('accepts the key with and without Bearer', async () => {
    const bare = await call('/payments', { headers: { Authorization: SK } });
    expect(bare.status).toBe(200);
    const bearer = await api('GET', '/payments', SK);
    expect(bearer.status).toBe(200);
    const wrong = await api('GET', '/payments', 'sk_sbox_nosuchkeyaaaaaaaaaaaaaaaaaaq');
    expect(wrong.status).toBe(401);
  });

  it('lets the public key tokenize and nothing else; refuses a secret key at /tokens', async () => {
    expect((await api('POST', '/tokens', PK, CARD)).status).toBe(201);
    expect((await api('POST', '/tokens', SK, CARD)).status).toBe(401);
    expect((await api('GET', '/payments', PK)).status).toBe(401);
    expect((await api('POST', '/payments', PK, {})).status).toBe(401);
  });

  it('refuses a key without the scope with 403 and the error body', async () => {
    const res = await api('POST', '/payments/pay_x/refunds', STOREFRONT_SK, {});
    expect(res.status).toBe(403);
    const body = await json(res);
    expect(body.request_id).toBe(res.headers.get('Cko-Request-Id'));
    expect(body.error_type).toBe('forbidden');
  });

  it('guards the control plane with the admin key', async () => {
    expect((await call('/_sim/stats')).status).toBe(401);
    expect((await api('GET', '/_sim/stats', SK)).status).toBe(401);
    expect((await admin('GET', '/_sim/stats')).status).toBe(200);
  });
});

describe('tokens', () => {
  it('tokenizes a card and shows only its public facts', async () => {
    const res = await api('POST', '/tokens', PK, { ...CARD, name: 'A Person' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.token).toMatch(/^tok_[a-z2-7]{26}$/);
    expect(body).toMatchObject({
      type: 'card',
      last4: '4242',
      bin: '424242',
      scheme: 'VISA',
      expiry_month: 12,
    });
    expect(JSON.stringify(body)).not.toContain('4242424242424242');
    expect(Date.parse(body.expires_on as string) - Date.now()).toBeGreaterThan(14 * 60 * 1000);
  });

  it('names each invalid card field', async () => {
    const res = await api('POST', '/tokens', PK, {
      type: 'card',
      number: '4242424242424241',
      expiry_month: 13,
      expiry_year: 2030,
      cvv: 'x',
    });
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error_type).toBe('request_invalid');
    expect(body.error_codes).toEqual(['card_number_invalid', 'card_expiry_month_invalid', 'cvv_invalid']);
    const expired = await json(await api('POST', '/tokens', PK, { ...CARD, expiry_year: 2020 }));
    expect(expired.error_codes).toEqual(['card_expired']);
  });

  it('is single use', async () => {
    const token = await tokenize();
    const first = await api('POST', '/payments', SK, {
      source: { type: 'token', token },
      amount: 100,
      currency: 'EUR',
    });
    expect(first.status).toBe(201);
    const again = await api('POST', '/payments', SK, {
      source: { type: 'token', token },
      amount: 100,
      currency: 'EUR',
    });
    expect(again.status).toBe(422);
    expect((await json(again)).error_codes).toEqual(['token_used']);
  });

  it('expires after 15 minutes', async () => {
    const token = await tokenize();
    await admin('POST', '/_sim/config', { advance_clock_ms: 15 * 60 * 1000 + 1000 });
    const res = await api('POST', '/payments', SK, {
      source: { type: 'token', token },
      amount: 100,
      currency: 'EUR',
    });
    expect((await json(res)).error_codes).toEqual(['token_expired']);
  });

  it('answers CORS preflight and adds CORS headers to answers', async () => {
    const pre = await call('/tokens', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(pre.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization');
    const res = await call('/tokens', {
      method: 'POST',
      headers: { Origin: 'https://shop.example', Authorization: PK, 'Content-Type': 'application/json' },
      body: JSON.stringify(CARD),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    const refused = await call('/tokens', {
      method: 'POST',
      headers: { Origin: 'https://shop.example' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('Access-Control-Allow-Origin')).toBe('*');
  });
});

describe('payments', () => {
  it('captures by default: 201 Captured with exact balances', async () => {
    const body = await pay({ reference: 'ORD-1' });
    expect(body).toMatchObject({
      approved: true,
      status: 'Captured',
      response_code: '10000',
      amount: 1000,
      currency: 'GBP',
      reference: 'ORD-1',
    });
    expect(body.id).toMatch(/^pay_[a-z2-7]{26}$/);
    expect(body.action_id).toMatch(/^act_/);
    expect(body.balances).toEqual({
      total_authorized: 1000,
      total_voided: 0,
      available_to_void: 0,
      total_captured: 1000,
      available_to_capture: 0,
      total_refunded: 0,
      available_to_refund: 1000,
    });
    const got = await json(await api('GET', `/payments/${body.id}`, SK));
    expect(got).toMatchObject({ id: body.id, status: 'Captured', approved: true, amount: 1000 });
    expect((got.source as Record<string, unknown>).last4).toBe('4242');
  });

  it('leaves capture:false Authorized', async () => {
    const body = await pay({ capture: false });
    expect(body.status).toBe('Authorized');
    expect((body._links as Record<string, unknown>).capture).toBeTruthy();
  });

  it('declines the decline test cards with their response codes', async () => {
    const body = await pay({}, { ...CARD, number: '4544249167673670' });
    expect(body).toMatchObject({
      approved: false,
      status: 'Declined',
      response_code: '20051',
      response_summary: 'Insufficient Funds',
    });
    const fraud = await pay({}, { ...CARD, number: '4897453568485113' });
    expect(fraud.response_code).toBe('20059');
  });

  it('treats amount 0 as a card verification', async () => {
    const body = await pay({ amount: 0 });
    expect(body).toMatchObject({ approved: true, status: 'Card Verified' });
  });

  it('pays with a raw card source', async () => {
    const res = await api('POST', '/payments', SK, { source: CARD, amount: 500, currency: 'USD' });
    expect(res.status).toBe(201);
    expect((await json(res)).status).toBe('Captured');
  });

  it('names every invalid field with 422 request_invalid', async () => {
    const res = await api('POST', '/payments', SK, {
      amount: -1,
      currency: 'euro',
      reference: 'x'.repeat(51),
    });
    expect(res.status).toBe(422);
    expect((await json(res)).error_codes).toEqual([
      'amount_invalid',
      'currency_invalid',
      'reference_invalid',
      'payment_source_required',
    ]);
  });

  it('does not spend the token on a request refused for another reason', async () => {
    const token = await tokenize();
    const bad = await api('POST', '/payments', SK, {
      source: { type: 'token', token },
      amount: 100,
      currency: 'nope',
    });
    expect(bad.status).toBe(422);
    const good = await api('POST', '/payments', SK, {
      source: { type: 'token', token },
      amount: 100,
      currency: 'EUR',
    });
    expect(good.status).toBe(201);
  });
});

describe('OAuth', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const basic = `Basic ${btoa(`${DEV_CREDENTIALS.oauthClientId}:${DEV_CREDENTIALS.oauthClientSecret}`)}`;
  const tokenRequest = (body: string, auth?: string) =>
    call('/connect/token', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...(auth ? { Authorization: auth } : {}),
      },
      body,
    });

  it('issues a JWT by Basic auth carrying the requested scopes', async () => {
    const res = await tokenRequest(
      form({ grant_type: 'client_credentials', scope: 'gateway:payment gateway:payment-details' }),
      basic,
    );
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 14400,
      scope: 'gateway:payment gateway:payment-details',
    });
    const token = body.access_token as string;
    expect(token.split('.')).toHaveLength(3);
    expect((await api('GET', '/payments', token)).status).toBe(200);
    expect((await api('POST', '/payments/pay_x/refunds', token, {})).status).toBe(403);
    expect((await stats()).tokens_issued).toBe(1);
  });

  it('takes credentials in the form body too, and a parent scope covers its children', async () => {
    const res = await tokenRequest(
      form({
        grant_type: 'client_credentials',
        client_id: DEV_CREDENTIALS.oauthClientId,
        client_secret: DEV_CREDENTIALS.oauthClientSecret,
        scope: 'gateway',
      }),
    );
    const token = (await json(res)).access_token as string;
    expect((await api('POST', '/payments/pay_unknownaaaaaaaaaaaaaaaaaaaaa/refunds', token, {})).status).toBe(
      404,
    );
    expect((await api('GET', '/disputes', token)).status).toBe(403);
  });

  it('answers OAuth errors', async () => {
    const bad = await tokenRequest(
      form({
        grant_type: 'client_credentials',
        client_id: DEV_CREDENTIALS.oauthClientId,
        client_secret: 'wrong',
      }),
    );
    expect(bad.status).toBe(400);
    expect(await json(bad)).toEqual({ error: 'invalid_client' });
    expect(await json(await tokenRequest(form({ grant_type: 'password' }), basic))).toEqual({
      error: 'unsupported_grant_type',
    });
    expect(
      await json(
        await tokenRequest(form({ grant_type: 'client_credentials', scope: 'issuing:client' }), basic),
      ),
    ).toEqual({ error: 'invalid_scope' });
    expect(await json(await tokenRequest(form({}), basic))).toEqual({ error: 'invalid_request' });
  });

  it('expires tokens after the configured TTL', async () => {
    await admin('POST', '/_sim/config', { token_ttl_seconds: 60 });
    const body = await json(await tokenRequest(form({ grant_type: 'client_credentials' }), basic));
    expect(body.expires_in).toBe(60);
    const token = body.access_token as string;
    expect((await api('GET', '/payments', token)).status).toBe(200);
    await admin('POST', '/_sim/config', { advance_clock_ms: 61_000 });
    expect((await api('GET', '/payments', token)).status).toBe(401);
  });

  it('a token needs flow:workflows for the workflows rows; secret keys pass', async () => {
    const gw = (
      await json(await tokenRequest(form({ grant_type: 'client_credentials', scope: 'gateway' }), basic))
    ).access_token as string;
    expect((await api('GET', '/workflows', gw)).status).toBe(403);
    const flow = (
      await json(
        await tokenRequest(form({ grant_type: 'client_credentials', scope: 'flow:workflows' }), basic),
      )
    ).access_token as string;
    expect((await api('GET', '/workflows', flow)).status).toBe(200);
    expect((await api('GET', '/workflows', STOREFRONT_SK)).status).toBe(200);
  });
});

describe('control plane', () => {
  it('counts requests per class and route, and resets', async () => {
    await pay();
    await api('GET', '/payments', SK);
    const s = await stats();
    const requests = s.requests as {
      total: number;
      read: number;
      write: number;
      by_route: Record<string, number>;
    };
    expect(requests.write).toBe(2);
    expect(requests.read).toBe(1);
    expect(requests.by_route['POST /payments']).toBe(1);
    expect(requests.by_route['POST /tokens']).toBe(1);
    expect(s.webhooks).toBeTruthy();
    await resetSim();
    expect(((await stats()).requests as { total: number }).total).toBe(0);
  });

  it('creates keys with arbitrary scopes through config, and a reset restores the defaults', async () => {
    const key = 'sk_sbox_testrefundsonlyaaaaaaaaaaaaq';
    const res = await admin('POST', '/_sim/config', {
      keys: { [key]: { kind: 'secret', scopes: ['gateway:payment-refunds'] } },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await json(res))).not.toContain(key);
    expect((await api('POST', '/payments/pay_unknownaaaaaaaaaaaaaaaaaaaaa/refunds', key, {})).status).toBe(
      404,
    );
    expect((await api('GET', '/payments', key)).status).toBe(403);
    await resetSim();
    expect((await api('GET', '/payments', key)).status).toBe(401);
  });

  it('shows the config without secrets, and a reset clears faults, clock and limits', async () => {
    await admin('POST', '/_sim/config', { reads_per_second: 7, advance_clock_ms: 5000 });
    await admin('POST', '/_sim/faults', { latency_ms: 10 });
    const config = await json(await admin('GET', '/_sim/config'));
    expect(config).toMatchObject({
      reads_per_second: 7,
      writes_per_second: 100,
      token_ttl_seconds: 14400,
      clock_offset_ms: 5000,
    });
    const text = JSON.stringify(config);
    expect(text).not.toContain(SK);
    expect(text).not.toContain(DEV_CREDENTIALS.oauthClientSecret);
    await resetSim();
    expect(await json(await admin('GET', '/_sim/faults'))).toEqual({});
    expect(await json(await admin('GET', '/_sim/config'))).toMatchObject({
      reads_per_second: 100,
      clock_offset_ms: 0,
    });
  });

  it('rejects invalid config with the fields named', async () => {
    const res = await admin('POST', '/_sim/config', { reads_per_second: 0, keys: { x: { kind: 'weird' } } });
    expect(res.status).toBe(422);
    expect((await json(res)).error_codes).toEqual(['reads_per_second_invalid', 'keys_invalid']);
  });
});
