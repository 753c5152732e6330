import { describe, expect, it } from 'vitest';
import { CheckoutError } from '../../src/checkout';
import { renderError } from '../../src/http/errors';
import { attemptsOf, ckoError, clientFor, recordingGate, scriptRun } from './helpers';

const PAYMENT = { id: 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa', status: 'Authorized', approved: true };
const IN_FLIGHT = { status: 429, json: ckoError('too_many_requests', ['idempotency_key_in_use']) };
const EDGE_502 = {
  status: 502,
  raw: '<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>',
  headers: { 'content-type': 'text/html' },
};

async function failure(promise: Promise<unknown>): Promise<CheckoutError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckoutError);
  return err as CheckoutError;
}

describe('one idempotency key per logical call', () => {
  it("sends the caller's key on every attempt and reports it", async () => {
    const run = await scriptRun([{ status: 500 }, { drop: true }, { status: 201, json: PAYMENT }]);
    const { client } = clientFor(run);
    const res = await client.call('requestPayment', { body: { amount: 100 }, idempotencyKey: 'order-42' });
    expect(res.idempotencyKey).toBe('order-42');
    const keys = (await attemptsOf(run)).map((a) => a.headers['cko-idempotency-key']);
    expect(keys).toEqual(['order-42', 'order-42', 'order-42']);
  });
});

describe('the in-flight refusal of our own key', () => {
  it('is waited out and never returned: the replay of the first attempt is the answer', async () => {
    const run = await scriptRun([
      { delayMs: 200, json: PAYMENT },
      IN_FLIGHT,
      IN_FLIGHT,
      { status: 201, json: PAYMENT },
    ]);
    const gate = recordingGate();
    // The first attempt times out while upstream is still working on it.
    const { client } = clientFor(run, { timeoutMs: 20, gate, retry: { maxAttempts: 2 } });
    const res = await client.call('requestPayment', { body: { amount: 100 } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(PAYMENT);
    // Two in-flight waits did not use up the two-attempt budget; no throttling was reported for them.
    expect(res.attempts).toBe(4);
    expect(gate.throttled).toEqual([]);
  });

  it('on a 409 too, when its codes say idempotency_key_in_use', async () => {
    const run = await scriptRun([
      { status: 409, json: ckoError('conflict', ['idempotency_key_in_use']) },
      { status: 201, json: PAYMENT },
    ]);
    const { client } = clientFor(run);
    const res = await client.call('capturePayment', { params: { id: PAYMENT.id }, body: {} });
    expect(res.status).toBe(201);
  });

  it('still running at the deadline means the outcome is unknown, with the key to retry with', async () => {
    const run = await scriptRun([IN_FLIGHT]);
    const { client } = clientFor(run, { sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
    const started = Date.now();
    const err = await failure(
      client.send('refundPayment', { params: { id: PAYMENT.id }, body: {}, deadlineMs: 400 }),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.code).toBe('outcome_unknown');
    expect(err.status).toBe(504);
    expect(err.type).toBe('upstream_outcome_unknown');
    expect(err.codes).toEqual(['upstream_outcome_unknown']);
    expect(err.idempotencyKey).toMatch(/^[\x21-\x7e]+$/);
    expect(err.message).toContain('retry with the same Cko-Idempotency-Key');
  });
});

describe('a 2xx without the answer is a failed attempt', () => {
  for (const [label, step] of [
    ['an empty body', { status: 201 }],
    ['a cut body', { status: 201, drop: true }],
    ['a body that is not JSON', { status: 201, raw: 'OK' }],
    ['JSON that is not an object', { status: 201, raw: '"approved"' }],
  ] as const) {
    it(`${label}: retried with the same key, and the replay is the answer`, async () => {
      const run = await scriptRun([step, { status: 201, json: PAYMENT }]);
      const { client } = clientFor(run);
      const res = await client.send('requestPayment', { body: { amount: 100 } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(PAYMENT);
      const seen = await attemptsOf(run);
      expect(seen).toHaveLength(2);
      expect(seen[1]?.headers['cko-idempotency-key']).toBe(seen[0]?.headers['cko-idempotency-key']);
    });
  }

  it('every attempt empty: the payment happened but its answer never arrived, so the outcome is unknown', async () => {
    const run = await scriptRun([{ status: 201 }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 3 } });
    const err = await failure(client.send('requestPayment', { body: { amount: 100 } }));
    expect(err.code).toBe('outcome_unknown');
    expect(err.attempts).toBe(3);
  });

  it('a 204 call answered with no body is complete', async () => {
    const run = await scriptRun([{ status: 204 }]);
    const { client } = clientFor(run);
    const res = await client.call('acceptDispute', { params: { id: 'dsp_1' } });
    expect(res.status).toBe(204);
    expect(res.attempts).toBe(1);
  });
});

describe('edge proxy failures', () => {
  it('an HTML 502/503/504 is a transient failure: retried, never parsed as an answer', async () => {
    const run = await scriptRun([
      EDGE_502,
      { ...EDGE_502, status: 503 },
      { ...EDGE_502, status: 504 },
      { json: PAYMENT },
    ]);
    const { client } = clientFor(run);
    const res = await client.call('getPayment', { params: { id: PAYMENT.id } });
    expect(res.body).toEqual(PAYMENT);
    expect(res.attempts).toBe(4);
  });

  it('a write that only ever met HTML 502s may have been processed: outcome unknown', async () => {
    const run = await scriptRun([EDGE_502]);
    const { client } = clientFor(run);
    const err = await failure(client.send('capturePayment', { params: { id: PAYMENT.id }, body: {} }));
    expect(err.code).toBe('outcome_unknown');
    expect(err.message).not.toContain('<html');
  });
});

describe('what is known is said as known', () => {
  it('a definite 4xx after an ambiguous attempt is the answer: the key would have replayed a success', async () => {
    const run = await scriptRun([
      { drop: true },
      { status: 422, json: ckoError('request_invalid', ['amount_invalid']) },
    ]);
    const { client } = clientFor(run);
    const err = await failure(client.call('requestPayment', { body: { amount: -1 } }));
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(422);
    expect(err.idempotencyKey).not.toBeNull();
  });

  it('throttled on every attempt: nothing happened, so a 429 is true', async () => {
    const run = await scriptRun([{ status: 429, json: ckoError('too_many_requests') }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 2 } });
    const err = await failure(client.call('requestPayment', { body: { amount: 100 } }));
    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
  });

  it('throttled after a timeout: the timed-out attempt may have paid, so a 429 would mislead', async () => {
    const run = await scriptRun([
      { delayMs: 300, json: PAYMENT },
      { status: 429, json: ckoError('too_many_requests') },
    ]);
    const { client } = clientFor(run, { timeoutMs: 20, retry: { maxAttempts: 2 } });
    const err = await failure(client.call('requestPayment', { body: { amount: 100 } }));
    expect(err.code).toBe('outcome_unknown');
  });

  it('shed by the rate gate after an ambiguous attempt: outcome unknown, not "too many requests"', async () => {
    const run = await scriptRun([{ status: 500 }, { json: PAYMENT }]);
    let calls = 0;
    const gate = {
      async acquire() {
        if (calls++ > 0) throw new Error('shed');
        return undefined;
      },
      reportThrottled() {},
    };
    const { client } = clientFor(run, { gate });
    const err = await failure(client.send('requestPayment', { body: { amount: 100 } }));
    expect(err.code).toBe('outcome_unknown');
    expect(await attemptsOf(run)).toHaveLength(1);
  });

  it('a read that keeps failing is a plain failure, never "unknown"', async () => {
    const run = await scriptRun([{ drop: true }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 2 } });
    const err = await failure(client.call('getPayment', { params: { id: PAYMENT.id } }));
    expect(err.code).toBe('network_error');
  });
});

describe('the overall deadline', () => {
  it('bounds the whole call across attempts and backoff, whatever the per-attempt timeout', async () => {
    const run = await scriptRun([{ delayMs: 5_000, json: PAYMENT }]);
    const { client } = clientFor(run, {
      timeoutMs: 10_000,
      deadlineMs: 300,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    const started = Date.now();
    const err = await failure(client.send('requestPayment', { body: { amount: 100 } }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe('outcome_unknown');
    expect(err.attempts).toBe(1);
  });

  it('ends a wait for the rate gate too; a write never sent is not "unknown"', async () => {
    const run = await scriptRun([{ json: PAYMENT }]);
    const gate = {
      acquire: (_access: unknown, signal?: AbortSignal) =>
        new Promise<undefined>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
      reportThrottled() {},
    };
    const { client } = clientFor(run, { gate, deadlineMs: 100 });
    const err = await client.send('requestPayment', { body: { amount: 100 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, codes: ['upstream_deadline_exceeded'] });
    expect(await attemptsOf(run)).toHaveLength(0);
  });

  it('renders an unknown outcome as a 504 in the one error shape, with the key in Cko-Idempotency-Key', async () => {
    const run = await scriptRun([{ drop: true }]);
    const { client } = clientFor(run, { retry: { maxAttempts: 1 } });
    const err = await failure(
      client.send('requestPayment', { body: { amount: 100 }, idempotencyKey: 'k-1' }),
    );
    const res = renderError(err, 'req_1');
    expect(res.status).toBe(504);
    expect(res.headers.get('cko-idempotency-key')).toBe('k-1');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error_type: 'upstream_outcome_unknown',
      error_codes: ['upstream_outcome_unknown'],
    });
    expect(String(body.message)).toContain('Cko-Idempotency-Key');
  });
});
