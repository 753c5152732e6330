import { describe, expect, it } from 'vitest';
import { caller, errorOf, ORIGIN, openMode, sessionBody } from './helpers';

describe('storefront input rules', () => {
  it('refuses a body that is not application/json with 415', async () => {
    const call = caller(openMode);
    const res = await call('/v1/payment-sessions', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(sessionBody({ amount: 1000, currency: 'GBP' })),
    });
    expect(res.status).toBe(415);
    expect(await errorOf(res)).toMatchObject({
      error_type: 'unsupported_media_type',
      error_codes: ['content_type_invalid'],
    });
  });

  it('refuses a body over the cap with 413, by Content-Length and when streamed', async () => {
    const call = caller({ ...openMode, STOREFRONT_BODY_LIMIT_BYTES: '512' });
    const big = sessionBody({
      amount: 1000,
      currency: 'GBP',
      description: 'x'.repeat(90),
      pad: 'y'.repeat(600),
    });
    const res = await call('/v1/payment-sessions', { json: big });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).error_codes).toEqual(['body_too_large']);

    const text = JSON.stringify(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        controller.enqueue(bytes.slice(0, 300));
        controller.enqueue(bytes.slice(300));
        controller.close();
      },
    });
    const streamed = await call('/v1/payment-sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      // @ts-expect-error: workerd's RequestInit accepts duplex for streamed bodies
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
  });

  it('answers malformed JSON and a non-object body with 400 body_malformed', async () => {
    const call = caller(openMode);
    for (const body of ['{"amount": ', '[1,2]', '"str"']) {
      const res = await call('/v1/payment-sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).error_codes).toEqual(['body_malformed']);
    }
  });

  it('rejects unknown fields, naming each, and never forwards them', async () => {
    const call = caller(openMode);
    const res = await call('/v1/payment-sessions', {
      json: sessionBody({
        amount: 1000,
        currency: 'GBP',
        processing_channel_id: 'pc_attackerchannelaaaaaaaaaa',
        capture: false,
        billing: { address: { country: 'GB', evil: 1 } },
      }),
    });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.error_codes).toEqual(
      expect.arrayContaining([
        'processing_channel_id_not_allowed',
        'capture_not_allowed',
        'billing_address_evil_not_allowed',
      ]),
    );
    expect(err.message).toContain('processing_channel_id');
  });

  it.each([
    ['amount as a decimal', { amount: 10.5, currency: 'GBP' }, 'amount_invalid'],
    ['amount as a string', { amount: '1000', currency: 'GBP' }, 'amount_invalid'],
    ['a negative amount', { amount: -5, currency: 'GBP' }, 'amount_invalid'],
    ['a lowercase currency', { amount: 1000, currency: 'gbp' }, 'currency_invalid'],
    ['a currency off the allow-list', { amount: 1000, currency: 'JPY' }, 'currency_not_allowed'],
    ['an amount under the minimum', { amount: 99, currency: 'GBP' }, 'amount_out_of_range'],
    ['an amount over the maximum', { amount: 100_001, currency: 'EUR' }, 'amount_out_of_range'],
    ['no amount', { currency: 'GBP' }, 'amount_required'],
    ['no currency', { amount: 1000 }, 'currency_required'],
    [
      'a 51-character reference',
      { amount: 1000, currency: 'GBP', reference: 'r'.repeat(51) },
      'reference_invalid',
    ],
    [
      'a bad billing country',
      { amount: 1000, currency: 'GBP', billing: { address: { country: 'Britain' } } },
      'billing_address_country_invalid',
    ],
    ['no billing', { amount: 1000, currency: 'GBP', billing: undefined }, 'billing_required'],
    [
      'no billing country',
      { amount: 1000, currency: 'GBP', billing: { address: { city: 'London' } } },
      'billing_address_country_required',
    ],
    [
      'a null billing country',
      { amount: 1000, currency: 'GBP', billing: { address: { country: null } } },
      'billing_address_country_invalid',
    ],
    [
      'a bad customer email',
      { amount: 1000, currency: 'GBP', customer: { email: 'nope' } },
      'customer_email_invalid',
    ],
  ])('names the bad field for %s', async (_name, extra, code) => {
    const call = caller(openMode);
    const res = await call('/v1/payment-sessions', { json: sessionBody(extra) });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toContain(code);
  });

  it.each([
    ['success_url', 'https://evil.example/phish'],
    ['success_url', 'http://127.0.0.1:8787.evil.example/'],
    ['failure_url', 'http://user@127.0.0.1:8787/'],
    ['failure_url', 'javascript:alert(1)'],
    ['success_url', 'http://127.0.0.1:9999/'],
  ])('refuses %s = %s (no open redirects)', async (field, url) => {
    const call = caller(openMode);
    const res = await call('/v1/payment-sessions', {
      json: sessionBody({ amount: 1000, currency: 'GBP', [field]: url }),
    });
    expect(res.status).toBe(422);
    const codes = (await errorOf(res)).error_codes;
    expect(codes.some((c) => c === `${field}_not_allowed` || c === `${field}_invalid`)).toBe(true);
  });

  it('refuses a payment link return_url off the storefront origins', async () => {
    const call = caller(openMode);
    const res = await call('/v1/payment-links', {
      json: {
        amount: 1000,
        currency: 'GBP',
        billing: { address: { country: 'GB' } },
        return_url: 'https://evil.example/',
      },
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['return_url_not_allowed']);
  });

  it('refuses a malformed session or link id in the path', async () => {
    const call = caller(openMode);
    const submit = await call('/v1/payment-sessions/not-a-session/submit', {
      json: { session_data: 'tok_x' },
    });
    expect(submit.status).toBe(422);
    expect((await errorOf(submit)).error_codes).toEqual(['id_invalid']);
    const link = await call('/v1/payment-links/..%2Fpayments');
    expect(link.status).toBe(422);
  });

  it('refuses an unusable Idempotency-Key with 422 naming the header, on creates and submits', async () => {
    const call = caller(openMode);
    const create = await call('/v1/payment-sessions', {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
      headers: { 'idempotency-key': 'has space but is long enough' },
    });
    expect(create.status).toBe(422);
    expect(await errorOf(create)).toMatchObject({
      error_type: 'request_invalid',
      error_codes: ['idempotency_key_invalid'],
      message: expect.stringContaining('Idempotency-Key'),
    });
    const submit = await call('/v1/payment-sessions/ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ/submit', {
      json: { session_data: 'tok_abcdefghijklmnopqrstuvwxyz' },
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(submit.status).toBe(422);
    expect((await errorOf(submit)).error_codes).toEqual(['idempotency_key_invalid']);
  });

  it('keeps the origin used by the tests configured', () => {
    expect(ORIGIN).toBe('http://127.0.0.1:8787');
  });
});
