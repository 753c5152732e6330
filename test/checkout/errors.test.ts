import { describe, expect, it } from 'vitest';
import { entryByName } from '../../src/catalog';
import { CheckoutError, resolveEntry } from '../../src/checkout';
import { renderError } from '../../src/http';
import { ckoError, clientFor, scriptRun, TEST_SECRET_KEY } from './helpers';

async function failing(
  status: number,
  body: unknown,
  name: string,
  extra: { headers?: Record<string, string> } = {},
): Promise<CheckoutError> {
  const run = await scriptRun([{ status, json: body, headers: extra.headers }]);
  const { client } = clientFor(run);
  const entry = resolveEntry(name);
  const params = entry.path.includes('{id}') ? { id: 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa' } : undefined;
  const payload = entry.method === 'GET' ? undefined : {};
  const err = await client
    .call(entry, { params, body: payload, idempotencyKey: 'k1' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CheckoutError);
  return err as CheckoutError;
}

describe('CheckoutError', () => {
  it('carries the upstream status, request_id, error_type and error_codes of a 422', async () => {
    const err = await failing(
      422,
      ckoError('request_invalid', ['amount_invalid', 'currency_invalid'], 'req_422'),
      'requestPayment',
    );
    expect(err.code).toBe('invalid_request');
    expect(err.upstreamStatus).toBe(422);
    expect(err.requestId).toBe('req_422');
    expect(err.errorType).toBe('request_invalid');
    expect(err.errorCodes).toEqual(['amount_invalid', 'currency_invalid']);
    expect(err.entry).toBe(entryByName('requestPayment'));
    expect(err.idempotencyKey).toBe('k1');
    // Rendered by Bollard: 422 request_invalid naming the same fields.
    expect(err.status).toBe(422);
    expect(err.type).toBe('request_invalid');
    expect(err.codes).toEqual(['amount_invalid', 'currency_invalid']);
  });

  it('falls back to the Cko-Request-Id header when the body has no request_id', async () => {
    const err = await failing(404, null, 'getPayment', { headers: { 'cko-request-id': 'req_hdr' } });
    expect(err.code).toBe('not_found');
    expect(err.requestId).toBe('req_hdr');
    expect(err.status).toBe(404);
    expect(err.codes).toEqual(['upstream_not_found']);
    expect(err.message).toContain('payment');
  });

  it('names the scope the catalog says the call needs on a 403', async () => {
    const err = await failing(403, ckoError('forbidden'), 'refundPayment');
    expect(err.code).toBe('forbidden');
    expect(err.message).toContain('the credential lacks gateway:payment-refunds');
    expect(err.status).toBe(403);
    const capture = await failing(403, null, 'capturePayment');
    expect(capture.message).toContain('gateway:payment-captures');
    const dispute = await failing(403, null, 'acceptDispute');
    expect(dispute.message).toContain('disputes:accept');
  });

  it('says so when a 403 is a state refusal rather than a missing scope', async () => {
    const err = await failing(403, ckoError('action_not_allowed'), 'voidPayment');
    expect(err.message).toContain('current state');
  });

  it('names the documented fallback scope for workflows, whose scope the guide does not state', async () => {
    const err = await failing(403, null, 'listWorkflows');
    expect(err.message).toContain('flow:workflows');
  });

  it('on a 401 says to check the key or reissue the token for the right environment, as a 502 to callers', async () => {
    const err = await failing(401, null, 'getPayment');
    expect(err.code).toBe('unauthorized');
    expect(err.message).toContain(
      'check the secret key, or reissue the OAuth token, for the correct environment (sandbox/production)',
    );
    // Bollard's caller did nothing wrong: its own credential is not what failed.
    expect(err.status).toBe(502);
    expect(err.type).toBe('upstream_error');
    expect(err.codes).toEqual(['upstream_unauthorized']);
  });

  it('maps 409 to conflict, other 4xx to unexpected_response', async () => {
    expect((await failing(409, null, 'createWorkflow')).status).toBe(409);
    const teapot = await failing(418, null, 'getPayment');
    expect(teapot.code).toBe('unexpected_response');
    expect(teapot.status).toBe(502);
  });

  it('renders in the one error shape with Bollard request id, and nothing secret or raw', async () => {
    const secretish = {
      request_id: 'req_x',
      error_type: 'request_invalid',
      error_codes: ['card_number_invalid'],
      detail: `Bearer ${TEST_SECRET_KEY} 4242424242424242`,
    };
    const err = await failing(422, secretish, 'requestPayment');
    const res = renderError(err, 'req_bollard');
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      request_id: 'req_bollard',
      error_type: 'request_invalid',
      error_codes: ['card_number_invalid'],
      message: 'Checkout.com rejected requestPayment as invalid (422): see error_codes',
    });
    expect(text).not.toContain('sk_');
    expect(text).not.toContain('4242');
  });

  it('renders a 429 with Retry-After', async () => {
    const run = await scriptRun([
      { status: 429, headers: { 'retry-after': '30' }, json: ckoError('too_many_requests') },
    ]);
    const { client } = clientFor(run);
    const err = (await client.call('listDisputes').catch((e: unknown) => e)) as CheckoutError;
    const res = renderError(err, 'req_b');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
  });

  it('never puts the key into a message, whatever the error', async () => {
    for (const status of [400, 401, 403, 404, 409, 422, 429, 500, 418]) {
      const err = await failing(status, { request_id: TEST_SECRET_KEY }, 'getPayment');
      expect(err.message).not.toContain(TEST_SECRET_KEY);
    }
  });
});
