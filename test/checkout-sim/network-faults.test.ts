import { exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Json } from './helpers';
import { admin, api, CARD, call, json, resetSim, SIM, SK, stats, tokenize } from './helpers';

beforeEach(resetSim, 30_000);

const payment = { source: CARD, amount: 700, currency: 'EUR' };
const idem = (key: string) => ({ 'Cko-Idempotency-Key': key });

/** A status, or `dropped` when the caller's fetch (or its body) failed as on a cut connection. */
async function outcome(res: Promise<Response>): Promise<string> {
  try {
    const r = await res;
    await r.text();
    return String(r.status);
  } catch {
    return 'dropped';
  }
}

async function effects(): Promise<Record<string, number>> {
  return (await stats()).effects as Record<string, number>;
}

async function paymentCount(): Promise<number> {
  return (await json(await api('GET', '/payments', SK))).total_count as number;
}

/** Once `probe` finds what the simulator produces after the aborted caller has gone (its own timer). */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (value === undefined) throw new Error('not yet');
      return value;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

describe('dropped connections', () => {
  it('drop "before": the caller gets no status, nothing happened, and a keyed retry is processed afresh', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { drop: 'before' } } });
    // Through a service binding the caller's fetch() rejects: a cut connection, never an HTTP status.
    await expect(api('POST', '/payments', SK, payment, idem('k-before'))).rejects.toThrow(
      /connection dropped/,
    );
    expect(await paymentCount()).toBe(0);
    const s = await stats();
    expect((s.effects as Json).requestPayment).toBe(0);
    expect(s.faults).toMatchObject({ drops: 1, drops_before: 1, drops_after: 0 });
    await admin('DELETE', '/_sim/faults');
    expect((await api('POST', '/payments', SK, payment, idem('k-before'))).status).toBe(201);
    expect((await effects()).requestPayment).toBe(1);
    expect((await stats()).idempotent_replays).toBe(0);
  });

  it('keeps `drop: true` and a numeric drop as "before", every Nth', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { drop: true } } });
    expect(await outcome(api('POST', '/payments', SK, payment))).toBe('dropped');
    await admin('POST', '/_sim/faults', { routes: { 'GET /payments': { drop: 0.5 } } });
    const reads: string[] = [];
    for (let i = 0; i < 4; i++) reads.push(await outcome(api('GET', '/payments', SK)));
    expect(reads).toEqual(['200', 'dropped', '200', 'dropped']);
    expect(await paymentCount()).toBe(0);
  });

  it('drop_rate picks every Nth request for "before" and "after"', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { drop: 'after', drop_rate: 0.5 } } });
    const writes: string[] = [];
    for (let i = 0; i < 4; i++) writes.push(await outcome(api('POST', '/payments', SK, payment)));
    expect(writes).toEqual(['201', 'dropped', '201', 'dropped']);
    // Dropped after processing: all four payments exist.
    expect(await paymentCount()).toBe(4);
    expect((await effects()).requestPayment).toBe(4);
  });

  it('drop "after": processed and stored; a keyed retry replays the same body with no second effect', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { drop: 'after' } } });
    expect(await outcome(api('POST', '/payments', SK, payment, idem('k-after')))).toBe('dropped');
    expect((await effects()).requestPayment).toBe(1);
    const list = await json(await api('GET', '/payments', SK));
    expect(list.total_count).toBe(1);
    const stored = (list.data as Json[])[0] as Json;
    // The fault is still on: a replay is answered before the fault stage, so the retry gets through.
    const retry = await api('POST', '/payments', SK, payment, idem('k-after'));
    expect(retry.status).toBe(201);
    expect((await json(retry)).id).toBe(stored.id);
    const s = await stats();
    expect((s.effects as Json).requestPayment).toBe(1);
    expect(s.idempotent_replays).toBe(1);
    expect(s.faults).toMatchObject({ drops: 1, drops_before: 0, drops_after: 1 });
  });

  it('over HTTP (a request with `cf`) shows the status line, then cuts the body short', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { drop: 'after' } } });
    const res = await exports.default.fetch(
      new Request(`${SIM}/payments`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${SK}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(payment),
        cf: { colo: 'LHR' },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('x-sim-drop-connection')).toBe('after');
    await expect(res.text()).rejects.toThrow();
    expect((await effects()).requestPayment).toBe(1);
  });
});

describe('stalls', () => {
  it('finishes the work after the caller gave up; a keyed repeat meanwhile gets 429 idempotency_key_in_use', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { latency_ms: 1500 } } });
    const started = Date.now();
    const first = call('/payments', {
      method: 'POST',
      headers: { Authorization: `Bearer ${SK}`, 'Content-Type': 'application/json', ...idem('k-stall') },
      body: JSON.stringify(payment),
      signal: AbortSignal.timeout(200),
    });
    await expect(first).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1500);
    // The caller has gone; the server is still on it, so the key is still in flight.
    const repeat = await api('POST', '/payments', SK, payment, idem('k-stall'));
    expect(repeat.status).toBe(429);
    expect((await json(repeat)).error_codes).toEqual(['idempotency_key_in_use']);
    expect((await effects()).requestPayment).toBe(0);
    await until(async () => ((await effects()).requestPayment === 1 ? true : undefined));
    expect(await paymentCount()).toBe(1);
    // And its answer was stored: the retry the caller makes next replays it.
    const retry = await api('POST', '/payments', SK, payment, idem('k-stall'));
    expect(retry.status).toBe(201);
    const s = await stats();
    expect((s.effects as Json).requestPayment).toBe(1);
    expect(s.idempotent_replays).toBe(1);
    expect(s.idempotency_concurrent_rejected).toBe(1);
  });
});

describe('effects', () => {
  it('counts each write processed with a 2xx, per catalog method, and submitPaymentSession', async () => {
    const before = await effects();
    expect(Object.values(before).every((n) => n === 0)).toBe(true);
    expect(before).toHaveProperty('submitPaymentSession', 0);
    expect((await api('POST', '/payments', SK, payment, idem('e1'))).status).toBe(201);
    expect((await api('POST', '/payments', SK, payment, idem('e1'))).status).toBe(201); // a replay
    expect((await api('POST', '/payments', SK, { ...payment, currency: 'nope' })).status).toBe(422);
    expect((await api('GET', '/payments', SK)).status).toBe(200);
    const session = await json(
      await api('POST', '/payment-sessions', SK, {
        amount: 2500,
        currency: 'EUR',
        billing: { address: { country: 'NL' } },
        success_url: 'https://shop.example/success',
        failure_url: 'https://shop.example/failure',
      }),
    );
    const token = await tokenize();
    const submitted = await api('POST', `/payment-sessions/${session.id}/submit`, SK, {
      session_data: token,
    });
    expect(submitted.status).toBe(201);
    expect(await effects()).toMatchObject({
      requestPayment: 1,
      createPaymentSession: 1,
      submitPaymentSession: 1,
      createToken: 1,
      capturePayment: 0,
    });
  });
});
