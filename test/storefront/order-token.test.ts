import { env } from 'cloudflare:workers';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { caller, errorOf, linkBody, orderToken, sessionBody } from './helpers';
import { simGet } from './sim';

/** Signed mode (the wrangler.toml default): money only from an order token the merchant signed. */
describe('order tokens (signed mode)', () => {
  it('creates a session for the amount, currency and reference the token carries', async () => {
    const call = caller();
    const token = await orderToken({ amount: 4321, currency: 'USD', reference: 'ORD-SIGNED-1' });
    const res = await call('/v1/payment-links', { json: linkBody({ order_token: token }) });
    expect(res.status).toBe(201);
    const link = (await res.json()) as { id: string; reference: string };
    expect(link.reference).toBe('ORD-SIGNED-1');
    const upstream = await simGet(`/payment-links/${link.id}`);
    expect(upstream.body).toMatchObject({ amount: 4321, currency: 'USD', reference: 'ORD-SIGNED-1' });
  });

  it('refuses a missing token with 422 order_token_required', async () => {
    const res = await caller()('/v1/payment-sessions', { json: sessionBody() });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['order_token_required']);
  });

  it('refuses an expired token with 422 order_token_expired', async () => {
    const token = await orderToken({}, { now: Date.now() - 3_600_000, ttlSeconds: 60 });
    const res = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: token }) });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['order_token_expired']);
  });

  it('refuses a tampered token (payload changed) with 422 order_token_invalid', async () => {
    const token = await orderToken({ amount: 2500 });
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(atob(p.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    payload.amount = 1;
    const forged = btoa(JSON.stringify(payload)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const res = await caller()('/v1/payment-sessions', {
      json: sessionBody({ order_token: `${h}.${forged}.${s}` }),
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['order_token_invalid']);
  });

  it('refuses a token signed with another key, and an unsigned (alg none) one', async () => {
    const other = await new SignJWT({ amount: 100, currency: 'GBP', reference: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .setJti('jti-other-key')
      .sign(new TextEncoder().encode('another-merchant-key-that-is-long-enough-0123'));
    const res = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: other }) });
    expect((await errorOf(res)).error_codes).toEqual(['order_token_invalid']);

    const none = `${btoa(JSON.stringify({ alg: 'none' })).replace(/=+$/, '')}.${btoa(
      JSON.stringify({ amount: 1, currency: 'GBP', reference: 'x', jti: 'j', exp: 9_999_999_999 }),
    ).replace(/=+$/, '')}.`;
    const res2 = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: none }) });
    expect(res2.status).toBe(422);
    expect((await errorOf(res2)).error_codes[0]).toMatch(/^order_token_(invalid|malformed)$/);
  });

  it('refuses a token used twice with 409 order_token_replayed', async () => {
    const call = caller();
    const token = await orderToken();
    const first = await call('/v1/payment-sessions', { json: sessionBody({ order_token: token }) });
    expect(first.status).toBe(201);
    const again = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: token }) });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).error_codes).toEqual(['order_token_replayed']);
  });

  it('gives a token back when Checkout.com refused the call, so the shopper can retry', async () => {
    const token = await orderToken();
    // A key the simulator does not know: Checkout.com answers 401 and creates nothing (Bollard answers 502).
    const refused = await caller({ CHECKOUT_STOREFRONT_SECRET_KEY: 'sk_sbox_unknownstorefrontkeyaaaaaaq' })(
      '/v1/payment-sessions',
      { json: sessionBody({ order_token: token }) },
    );
    expect(refused.status).toBe(502);
    expect((await errorOf(refused)).error_type).toBe('upstream_error');
    const ok = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: token }) });
    expect(ok.status).toBe(201);
  });

  it('refuses amount, currency or reference sent beside a token', async () => {
    const token = await orderToken();
    const res = await caller()('/v1/payment-sessions', {
      json: sessionBody({ order_token: token, amount: 1 }),
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['amount_not_allowed']);
  });

  it('refuses a token whose currency is off the allow-list, and one with missing or ill-typed claims', async () => {
    const jpy = await orderToken({ currency: 'JPY' });
    const r1 = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: jpy }) });
    expect((await errorOf(r1)).error_codes).toEqual(['currency_not_allowed']);

    const key = new TextEncoder().encode(env.ORDER_TOKEN_KEY);
    const noJti = await new SignJWT({ amount: 100, currency: 'GBP', reference: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(key);
    const r2 = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: noJti }) });
    expect((await errorOf(r2)).error_codes).toEqual(['order_token_claims_invalid']);

    const decimal = await new SignJWT({ amount: 10.5, currency: 'GBP', reference: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(key);
    const r3 = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: decimal }) });
    expect(r3.status).toBe(422);
    expect((await errorOf(r3)).message).toContain('"amount"');
  });

  it('refuses a token that lives longer than the configured maximum', async () => {
    const token = await orderToken({}, { ttlSeconds: 7200 });
    const res = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: token }) });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['order_token_claims_invalid']);
  });

  it('never echoes the token in an error', async () => {
    const token = await orderToken({}, { now: Date.now() - 3_600_000, ttlSeconds: 60 });
    const res = await caller()('/v1/payment-sessions', { json: sessionBody({ order_token: token }) });
    expect(await res.text()).not.toContain(token.split('.')[2]);
  });
});

describe('order tokens signed with the merchant private key (ORDER_TOKEN_PUBLIC_KEY)', () => {
  it('accepts ES256 tokens that verify with the configured public key and refuses shared-key tokens', async () => {
    const { generateKeyPair, exportSPKI } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const overrides = { ORDER_TOKEN_PUBLIC_KEY: await exportSPKI(publicKey) } as unknown as Partial<
      Record<keyof Env, string>
    >;
    const es256 = await new SignJWT({ amount: 3100, currency: 'EUR', reference: 'ORD-ES256' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(privateKey);
    const ok = await caller(overrides)('/v1/payment-links', { json: linkBody({ order_token: es256 }) });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { reference: string }).reference).toBe('ORD-ES256');

    // With a public key configured, a token made with the shared HS256 key is not accepted.
    const hs = await orderToken();
    const refused = await caller(overrides)('/v1/payment-links', { json: linkBody({ order_token: hs }) });
    expect(refused.status).toBe(422);
    expect((await errorOf(refused)).error_codes).toEqual(['order_token_invalid']);
  });
});
