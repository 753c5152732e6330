import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  CheckoutError,
  checkoutApi,
  checkoutClientFor,
  createCheckoutClient,
  type PaymentProcessed,
  upstreamFetch,
} from '../../src/checkout';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';

/** A client against the simulator (the CHECKOUT_SIM service binding) with the given secret key. */
function simClient(secretKey: string = DEV_CREDENTIALS.secretKey) {
  return createCheckoutClient({
    baseUrl: env.CHECKOUT_API_BASE,
    credential: { kind: 'secret_key', secretKey },
    publicKey: DEV_CREDENTIALS.publicKey,
    fetch: upstreamFetch(env),
    sleep: async () => {},
  });
}

const UNKNOWN_PAYMENT = 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('against the simulator', () => {
  it('checkoutClientFor reaches it through the CHECKOUT_SIM binding with the dev key', async () => {
    // An explicit fetch: this test is about credentials and routing, not the rate governor.
    const res = await checkoutClientFor(env, 'agents', { fetch: upstreamFetch(env) }).send('getPayment', {
      params: { id: UNKNOWN_PAYMENT },
    });
    // The simulator knows the dev key (not a 401) and not this payment.
    expect(res.status).toBe(404);
    expect(res.requestId).not.toBeNull();
  });

  it('maps a 404 for an unknown payment, with the Cko-Request-Id', async () => {
    const err = (await simClient()
      .call('getPayment', { params: { id: UNKNOWN_PAYMENT } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err).toBeInstanceOf(CheckoutError);
    expect(err.code).toBe('not_found');
    expect(err.upstreamStatus).toBe(404);
    expect(err.attempts).toBe(1);
    expect(err.requestId).toMatch(/\S+/);
    expect(err.status).toBe(404);
  });

  it('maps a 401 for an unknown key, without retrying and without echoing the key', async () => {
    const badKey = 'sk_sbox_nosuchkeyaaaaaaaaaaaaaaaaaq';
    const err = (await simClient(badKey)
      .call('getPayment', { params: { id: UNKNOWN_PAYMENT } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('unauthorized');
    expect(err.attempts).toBe(1);
    expect(err.status).toBe(502);
    expect(err.message).toContain('for the correct environment (sandbox/production)');
    expect(err.message).not.toContain(badKey);
  });

  it('maps a 403 for a key without the scope, naming the scope', async () => {
    const err = (await simClient(DEV_CREDENTIALS.storefrontSecretKey)
      .call('refundPayment', { params: { id: UNKNOWN_PAYMENT }, body: {} })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('forbidden');
    expect(err.upstreamStatus).toBe(403);
    expect(err.message).toContain('gateway:payment-refunds');
  });

  it('tokenizes with the public key, pays with the secret key, reads the payment back', async () => {
    const api = checkoutApi(simClient());
    const token = await api.createToken({
      type: 'card',
      number: '4242424242424242',
      expiry_month: 12,
      expiry_year: 2030,
      cvv: '100',
    });
    expect(token.status).toBe(201);
    expect(token.body.token).toMatch(/^tok_/);
    const payment = await api.requestPayment({
      source: { type: 'token', token: token.body.token },
      amount: 1234,
      currency: 'GBP',
      processing_channel_id: 'pc_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      reference: 'client-test',
    });
    expect(payment.status).toBe(201);
    expect(payment.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    const processed = payment.body as PaymentProcessed;
    expect(processed.approved).toBe(true);
    const details = await api.getPayment(processed.id);
    expect(details.body).toMatchObject({ id: processed.id, amount: 1234, currency: 'GBP' });
  });

  it('replays a money-moving write given the same idempotency key', async () => {
    const api = checkoutApi(simClient());
    const token = await api.createToken({
      type: 'card',
      number: '4242424242424242',
      expiry_month: 1,
      expiry_year: 2031,
    });
    const body = {
      source: { type: 'token' as const, token: token.body.token },
      amount: 500,
      currency: 'EUR',
      processing_channel_id: 'pc_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    };
    const key = `client-test-${crypto.randomUUID()}`;
    const first = await api.requestPayment(body, { idempotencyKey: key });
    const second = await api.requestPayment(body, { idempotencyKey: key });
    expect((second.body as PaymentProcessed).id).toBe((first.body as PaymentProcessed).id);
  });
});
