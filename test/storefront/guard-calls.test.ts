import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DO_CALLS_BACKGROUND_HEADER, DO_CALLS_DETAIL_HEADER } from '../../src/http/do-meter';
import worker from '../../workers/bollard/index';
import {
  BILLING,
  freshClient,
  type GuardCall,
  linkBody,
  type MeteredCaller,
  meteredCaller,
  ORIGIN,
  openMode,
  orderToken,
  sessionBody,
} from './helpers';
import { cardToken } from './sim';

/**
 * The hot-path budget (design: at most one Durable Object round trip beyond the upstream call): the guard
 * round trips each kind of request waits on, counted on the real objects, and the bookkeeping that runs
 * after the answer instead.
 */

const kind = (c: GuardCall) => `${c.object.split(':')[0]}.${c.method}`;
const waited = (calls: GuardCall[]) => calls.filter((c) => c.waited).map(kind);
const background = (calls: GuardCall[]) => calls.filter((c) => !c.waited).map(kind);

async function newSession(call: MeteredCaller): Promise<string> {
  const { res } = await call('/v1/payment-sessions', {
    json: sessionBody({ amount: 1500, currency: 'GBP' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('guard round trips per request', () => {
  it('none for a session without Idempotency-Key or order token; its status record after the answer', async () => {
    const { res, calls } = await meteredCaller(openMode)('/v1/payment-sessions', {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
    });
    expect(res.status).toBe(201);
    expect(waited(calls)).toEqual([]);
    expect(background(calls)).toEqual(['session.rememberSession']);
  });

  it('none at all for a payment link without Idempotency-Key or order token', async () => {
    const { res, calls } = await meteredCaller(openMode)('/v1/payment-links', {
      json: linkBody({ amount: 1000, currency: 'GBP' }),
    });
    expect(res.status).toBe(201);
    expect(calls).toEqual([]);
  });

  it("one with Idempotency-Key (the key's object); the record is completed after the answer", async () => {
    const { res, calls } = await meteredCaller(openMode)('/v1/payment-sessions', {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    expect(res.status).toBe(201);
    expect(waited(calls)).toEqual(['key.begin']);
    expect(background(calls).sort()).toEqual(['key.complete', 'session.rememberSession']);
  });

  it("one with an order token (the token's object)", async () => {
    const { res, calls } = await meteredCaller()('/v1/payment-sessions', {
      json: sessionBody({ order_token: await orderToken() }),
    });
    expect(res.status).toBe(201);
    expect(waited(calls)).toEqual(['order.begin']);
    expect(background(calls)).toEqual(['session.rememberSession']);
  });

  it('one with both an order token and Idempotency-Key, and one for its replay', async () => {
    const call = meteredCaller();
    const init = {
      json: sessionBody({ order_token: await orderToken() }),
      headers: { 'idempotency-key': crypto.randomUUID() },
    };
    const first = await call('/v1/payment-sessions', init);
    expect(first.res.status).toBe(201);
    expect(waited(first.calls)).toEqual(['order.begin']);
    expect(background(first.calls).sort()).toEqual(['order.complete', 'session.rememberSession']);
    const again = await call('/v1/payment-sessions', init);
    expect(again.res.status).toBe(201);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
    expect(again.calls.map(kind)).toEqual(['order.begin']);
  });

  it('none for a submit without Idempotency-Key, one with it; the payment id is noted after the answer', async () => {
    const call = meteredCaller(openMode);
    const bare = await call(`/v1/payment-sessions/${await newSession(call)}/submit`, {
      json: { session_data: (await cardToken()).token },
    });
    expect(bare.res.status).toBe(201);
    expect(waited(bare.calls)).toEqual([]);
    expect(background(bare.calls)).toEqual(['session.rememberSessionPayment']);

    const keyed = await call(`/v1/payment-sessions/${await newSession(call)}/submit`, {
      json: { session_data: (await cardToken()).token },
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    expect(keyed.res.status).toBe(201);
    expect(waited(keyed.calls)).toEqual(['key.begin']);
    expect(background(keyed.calls).sort()).toEqual(['key.complete', 'session.rememberSessionPayment']);
  });

  it('a second, waited on, only when a keyed write fails: the release that lets the retry through', async () => {
    const { res, calls } = await meteredCaller(openMode)(
      '/v1/payment-sessions/ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ/submit',
      {
        json: { session_data: 'tok_abcdefghijklmnopqrstuvwxyz' },
        headers: { 'idempotency-key': crypto.randomUUID() },
      },
    );
    expect(res.status).toBe(404);
    expect(waited(calls)).toEqual(['key.begin', 'key.release']);
    expect(background(calls)).toEqual([]);
  });
});

describe('guard round trips as DO_METER counts them through the Worker entry', () => {
  async function create(extra: Record<string, unknown>, headers: Record<string, string> = {}) {
    const metered = { ...env, DO_METER: 'on', STOREFRONT_ORDER_MODE: 'open' } as Env;
    const request = new Request('http://bollard.test/v1/payment-sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshClient(), ...headers },
      body: JSON.stringify({
        billing: BILLING,
        success_url: `${ORIGIN}/?outcome=success`,
        failure_url: `${ORIGIN}/?outcome=failure`,
        ...extra,
      }),
    });
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, metered, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(201);
    const waitedOn = (res.headers.get(DO_CALLS_DETAIL_HEADER) ?? '').split(',');
    return {
      guard: waitedOn.find((b) => b.startsWith('STOREFRONT_GUARD=')) ?? 'STOREFRONT_GUARD=0',
      background: Number(res.headers.get(DO_CALLS_BACKGROUND_HEADER)),
    };
  }

  it('waits on no guard call in open mode without Idempotency-Key, one with an order token and a key', async () => {
    expect(await create({ amount: 1000, currency: 'GBP' })).toMatchObject({ guard: 'STOREFRONT_GUARD=0' });
    const both = await create(
      { order_token: await orderToken() },
      { 'idempotency-key': crypto.randomUUID() },
    );
    expect(both.guard).toBe('STOREFRONT_GUARD=1');
    // The status record and the key's final answer: after the answer.
    expect(both.background).toBeGreaterThanOrEqual(2);
  });
});
