import { describe, expect, it } from 'vitest';
import { CheckoutError, DEFAULT_RETRY_POLICY } from '../../src/checkout';
import { attemptsOf, ckoError, clientFor, recordingGate, scriptRun } from './helpers';

const PAYMENT = { id: 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa', status: 'Authorized' };

describe('retries on 429 and 5xx', () => {
  it('retries a 500 burst on a read until it succeeds, backing off within the full-jitter bounds', async () => {
    const run = await scriptRun([{ status: 500 }, { status: 502 }, { status: 503 }, { json: PAYMENT }]);
    const randoms = [0.999, 0.5, 0];
    const { client, delays } = clientFor(run, {
      retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 300 },
      random: () => randoms.shift() ?? 0,
    });
    const res = await client.call('getPayment', { params: { id: PAYMENT.id } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(PAYMENT);
    expect(res.attempts).toBe(4);
    expect(await attemptsOf(run)).toHaveLength(4);
    // Retry n waits random() * min(cap, base * 2^n): ceilings 100, 200, 300 (capped).
    expect(delays).toEqual([Math.floor(0.999 * 100), Math.floor(0.5 * 200), 0]);
  });

  it('keeps every delay inside [0, min(cap, base * 2^n)) whatever the random source says', async () => {
    const run = await scriptRun([{ status: 500 }]);
    const { client, delays } = clientFor(run, {
      retry: { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 500 },
      random: () => 0.9999999,
    });
    const res = await client.send('getPayment', { params: { id: PAYMENT.id } });
    expect(res.status).toBe(500);
    expect(res.attempts).toBe(6);
    const ceilings = [50, 100, 200, 400, 500];
    expect(delays).toHaveLength(5);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceilings[i] as number);
    });
  });

  it('gives up after maxAttempts: send returns the last answer, call throws server_error', async () => {
    const run = await scriptRun([{ status: 503, json: ckoError('server_error', [], 'req_last') }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 3 } });
    const err = await client.call('getPayment', { params: { id: PAYMENT.id } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckoutError);
    const e = err as CheckoutError;
    expect(e.code).toBe('server_error');
    expect(e.attempts).toBe(3);
    expect(e.upstreamStatus).toBe(503);
    expect(e.status).toBe(502);
    expect(e.type).toBe('upstream_error');
    expect(e.requestId).toBe('req_last');
    expect(await attemptsOf(run)).toHaveLength(3);
  });

  it('defaults to four attempts', async () => {
    const run = await scriptRun([{ status: 500 }]);
    const { client } = clientFor(run);
    const res = await client.send('getPayment', { params: { id: PAYMENT.id } });
    expect(res.attempts).toBe(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(await attemptsOf(run)).toHaveLength(4);
  });

  it('honours Retry-After in seconds on a 429 burst and tells the gate', async () => {
    const run = await scriptRun([
      { status: 429, headers: { 'retry-after': '2' }, json: ckoError('too_many_requests') },
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 429 },
      { status: 201, json: PAYMENT },
    ]);
    const gate = recordingGate();
    const { client, delays } = clientFor(run, {
      gate,
      retry: { baseDelayMs: 100, maxDelayMs: 1000 },
      random: () => 0.5,
    });
    const res = await client.call('requestPayment', { body: { amount: 100, currency: 'GBP' } });
    expect(res.status).toBe(201);
    expect(res.attempts).toBe(4);
    // Retry-After wins over the jittered backoff; without one, full jitter (0.5 * 100 * 2^2).
    expect(delays).toEqual([2000, 1000, 200]);
    expect(gate.acquired).toEqual(['write', 'write', 'write', 'write']);
    expect(gate.throttled).toEqual([
      { access: 'write', retryAfterSeconds: 2 },
      { access: 'write', retryAfterSeconds: 1 },
      { access: 'write', retryAfterSeconds: undefined },
    ]);
  });

  it('honours Retry-After as an HTTP date, against the injected clock', async () => {
    const now = Date.parse('2026-11-24T01:00:00Z');
    const run = await scriptRun([
      { status: 503, headers: { 'retry-after': 'Tue, 24 Nov 2026 01:00:03 GMT' } },
      { json: PAYMENT },
    ]);
    const { client, delays } = clientFor(run, { now: () => now });
    await client.call('getPayment', { params: { id: PAYMENT.id } });
    expect(delays).toEqual([3000]);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs: the 429 goes back with its delay', async () => {
    const run = await scriptRun([
      { status: 429, headers: { 'retry-after': '120' }, json: ckoError('too_many_requests') },
      { json: PAYMENT },
    ]);
    const { client, delays } = clientFor(run);
    const err = (await client
      .call('getPayment', { params: { id: PAYMENT.id } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.type).toBe('too_many_requests');
    expect(err.retryAfter).toBe(120);
    expect(err.attempts).toBe(1);
    expect(delays).toEqual([]);
    expect(await attemptsOf(run)).toHaveLength(1);
  });

  it('passes the gate before every attempt, and stops when the gate refuses', async () => {
    const run = await scriptRun([{ status: 500 }, { json: PAYMENT }]);
    let calls = 0;
    const { client } = clientFor(run, {
      gate: {
        async acquire() {
          calls++;
          if (calls === 2) throw new Error('gate closed');
          return undefined;
        },
        reportThrottled() {},
      },
    });
    await expect(client.call('getPayment', { params: { id: PAYMENT.id } })).rejects.toThrow('gate closed');
    expect(calls).toBe(2);
    // The refused retry never reached the upstream.
    expect(await attemptsOf(run)).toHaveLength(1);
  });
});

describe('idempotency', () => {
  it('generates one Cko-Idempotency-Key for a money-moving write and reuses it on every retry', async () => {
    const run = await scriptRun([
      { status: 500 },
      { status: 429 },
      { status: 202, json: { action_id: 'act_1' } },
    ]);
    let generated = 0;
    const { client } = clientFor(run, { newIdempotencyKey: () => `key-${++generated}` });
    const res = await client.call('refundPayment', { params: { id: PAYMENT.id }, body: { amount: 100 } });
    expect(res.idempotencyKey).toBe('key-1');
    expect(generated).toBe(1);
    const seen = await attemptsOf(run);
    expect(seen.map((a) => a.headers['cko-idempotency-key'])).toEqual(['key-1', 'key-1', 'key-1']);
    expect(seen.map((a) => a.body)).toEqual(Array(3).fill('{"amount":100}'));
  });

  it("uses the caller's key as given", async () => {
    const run = await scriptRun([{ status: 502 }, { status: 201, json: PAYMENT }]);
    const { client } = clientFor(run);
    const res = await client.call('requestPayment', {
      body: { amount: 1, currency: 'GBP' },
      idempotencyKey: 'order-42-attempt-1',
    });
    expect(res.idempotencyKey).toBe('order-42-attempt-1');
    const seen = await attemptsOf(run);
    expect(seen.map((a) => a.headers['cko-idempotency-key'])).toEqual([
      'order-42-attempt-1',
      'order-42-attempt-1',
    ]);
  });

  it('refuses a malformed idempotency key before sending anything', async () => {
    const run = await scriptRun([{ json: PAYMENT }]);
    const { client } = clientFor(run);
    await expect(
      client.send('requestPayment', { body: {}, idempotencyKey: 'has spaces in it' }),
    ).rejects.toMatchObject({ type: 'request_invalid', codes: ['idempotency_key_invalid'] });
    expect(await attemptsOf(run)).toHaveLength(0);
  });

  it('never retries a write that has no idempotency key (not money-moving, none given)', async () => {
    const run = await scriptRun([{ status: 500 }, { status: 201, json: { id: 'ps_x' } }]);
    const { client, delays } = clientFor(run);
    const err = (await client
      .send('createPaymentSession', { body: { amount: 100 } })
      .catch((e: unknown) => e)) as CheckoutError;
    // A 500 to a write may or may not have been processed; without a key it cannot be asked again.
    expect(err.code).toBe('outcome_unknown');
    expect(err.status).toBe(504);
    expect(err.attempts).toBe(1);
    expect(err.idempotencyKey).toBeNull();
    expect(err.message).toContain('read the payment_session');
    expect(delays).toEqual([]);
    const seen = await attemptsOf(run);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['cko-idempotency-key']).toBeUndefined();
  });

  it('retries that same write once the caller gives it a key', async () => {
    const run = await scriptRun([{ status: 500 }, { status: 201, json: { id: 'ps_x' } }]);
    const { client } = clientFor(run);
    const res = await client.call('createPaymentSession', {
      body: { amount: 100 },
      idempotencyKey: 'sess-1',
    });
    expect(res.attempts).toBe(2);
  });

  it('does not retry a keyless write after a timeout either, and says its outcome is unknown', async () => {
    const run = await scriptRun([{ delayMs: 2000, json: {} }]);
    const { client } = clientFor(run, { timeoutMs: 30 });
    const err = (await client
      .call('createCustomer', { body: { email: 'a@example.com' } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('outcome_unknown');
    expect(err.attempts).toBe(1);
    expect(await attemptsOf(run)).toHaveLength(1);
  });
});

describe('no retry of other 4xx', () => {
  for (const status of [400, 401, 403, 404, 409, 422]) {
    it(`answers ${status} after one attempt`, async () => {
      const run = await scriptRun([{ status, json: ckoError('x') }, { json: PAYMENT }]);
      const { client, delays } = clientFor(run);
      const res = await client.send('capturePayment', { params: { id: PAYMENT.id }, body: {} });
      expect(res.status).toBe(status);
      expect(res.attempts).toBe(1);
      expect(delays).toEqual([]);
      expect(await attemptsOf(run)).toHaveLength(1);
    });
  }
});

describe('timeouts, dropped connections, malformed answers', () => {
  it('times out a hanging attempt and retries it, then succeeds', async () => {
    const run = await scriptRun([{ delayMs: 3000, json: PAYMENT }, { json: PAYMENT }]);
    const { client, delays } = clientFor(run, { timeoutMs: 50 });
    const res = await client.call('getPayment', { params: { id: PAYMENT.id } });
    expect(res.body).toEqual(PAYMENT);
    expect(res.attempts).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('reports timeout after the last attempt hangs', async () => {
    const run = await scriptRun([{ delayMs: 3000, json: PAYMENT }]);
    const { client } = clientFor(run, { timeoutMs: 30, retry: { maxAttempts: 2 } });
    const err = (await client
      .call('getPayment', { params: { id: PAYMENT.id } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err).toBeInstanceOf(CheckoutError);
    expect(err.code).toBe('timeout');
    expect(err.attempts).toBe(2);
    expect(err.upstreamStatus).toBeNull();
    expect(err.status).toBe(504);
    expect(err.type).toBe('upstream_unavailable');
    expect(err.message).toContain('30 ms');
  });

  it('treats a body cut off mid-stream as a network error and retries under the same key', async () => {
    const run = await scriptRun([{ drop: true }, { status: 201, json: PAYMENT }]);
    const { client } = clientFor(run);
    const res = await client.call('requestPayment', { body: { amount: 1, currency: 'GBP' } });
    expect(res.attempts).toBe(2);
    const keys = (await attemptsOf(run)).map((a) => a.headers['cko-idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('reports network_error when every attempt drops', async () => {
    const run = await scriptRun([{ drop: true }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 2 } });
    const err = (await client
      .call('getPayment', { params: { id: PAYMENT.id } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('network_error');
    expect(err.status).toBe(503);
    expect(err.type).toBe('upstream_unavailable');
    expect(err.attempts).toBe(2);
  });

  it('treats malformed JSON on a 2xx as a failed attempt: retried, then unexpected_response, never forwarded', async () => {
    const run = await scriptRun([{ raw: '{"id": "pay_', headers: { 'content-type': 'application/json' } }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 2 } });
    await expect(client.send('getPayment', { params: { id: PAYMENT.id } })).rejects.toMatchObject({
      code: 'unexpected_response',
      attempts: 2,
    });
    const err = (await client
      .call('getPayment', { params: { id: PAYMENT.id } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('unexpected_response');
    expect(err.status).toBe(502);
    expect(err.message).not.toContain('pay_');
  });

  it('reads a 5xx with a malformed body without failing the retry loop', async () => {
    const run = await scriptRun([{ status: 500, raw: '<html>oops' }, { json: PAYMENT }]);
    const { client } = clientFor(run);
    const res = await client.call('getPayment', { params: { id: PAYMENT.id } });
    expect(res.attempts).toBe(2);
  });

  it("stops at once when the caller's signal aborts during a backoff", async () => {
    const run = await scriptRun([{ status: 500 }]);
    const controller = new AbortController();
    const { client } = clientFor(run, {
      sleep: async () => {
        controller.abort(new Error('caller gave up'));
        await new Promise(() => {});
      },
    });
    await expect(
      client.send('getPayment', { params: { id: PAYMENT.id }, signal: controller.signal }),
    ).rejects.toThrow('caller gave up');
    expect(await attemptsOf(run)).toHaveLength(1);
  });
});

describe('which writes get a key', () => {
  it('generates keys for money-moving writes and voids, not for other writes or reads', async () => {
    const run = await scriptRun([{ status: 200, json: {} }]);
    const { client } = clientFor(run, { newIdempotencyKey: () => 'generated' });
    const withKey = [
      'requestPayment',
      'capturePayment',
      'refundPayment',
      'voidPayment',
      'incrementAuthorization',
      'acceptDispute',
      'createTransfer',
      'submitPaymentSession',
    ];
    const without = [
      'createPaymentSession',
      'createPaymentLink',
      'createCustomer',
      'createWorkflow',
      'deleteInstrument',
    ];
    for (const name of [...withKey, ...without]) {
      const res = await client.send(name, {
        params: { id: 'x_1' },
        body: name.startsWith('delete') ? undefined : {},
      });
      expect(res.idempotencyKey, name).toBe(withKey.includes(name) ? 'generated' : null);
    }
    const read = await client.send('getPayment', { params: { id: 'x_1' } });
    expect(read.idempotencyKey).toBeNull();
  });
});
