import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { admin, api, call, json, resetSim, SK, stats } from './helpers';

beforeEach(resetSim, 30_000);

/** The deterministic knobs of `POST /_sim/faults`: every-Nth errors, latency, edge pages, validation. */
describe('injected errors and latency', () => {
  it('injects errors on a route every Nth request (deterministic) with the chosen status', async () => {
    const set = await admin('POST', '/_sim/faults', {
      routes: { 'GET /payments': { error_rate: 0.5, status: 503 } },
    });
    expect(set.status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api('GET', '/payments', SK)).status);
    expect(statuses).toEqual([200, 503, 200, 503, 200, 503]);
    expect((await api('GET', '/payments/pay_unknownaaaaaaaaaaaaaaaaaaaaa', SK)).status).toBe(404);
    expect(((await stats()).faults as Json).errors).toBe(3);
    expect(await json(await admin('GET', '/_sim/faults'))).toEqual({
      routes: { 'GET /payments': { error_rate: 0.5, status: 503 } },
    });
  });

  it('applies a global error rate to every API route, 500 by default, and a route can opt out', async () => {
    await admin('POST', '/_sim/faults', { error_rate: 1, routes: { 'GET /payments': { error_rate: 0 } } });
    const res = await api('GET', '/payments/pay_unknownaaaaaaaaaaaaaaaaaaaaa', SK);
    expect(res.status).toBe(500);
    expect((await json(res)).error_type).toBe('server_error');
    expect((await api('GET', '/payments', SK)).status).toBe(200);
    expect((await call('/healthz')).status).toBe(200);
    expect((await admin('DELETE', '/_sim/faults')).status).toBe(204);
    expect((await api('GET', '/payments/pay_unknownaaaaaaaaaaaaaaaaaaaaa', SK)).status).toBe(404);
  });

  it('answers 502, 503 and 504 with an edge proxy HTML page, not the JSON error body', async () => {
    for (const status of [502, 503, 504]) {
      await admin('POST', '/_sim/faults', { routes: { 'GET /payments': { error_rate: 1, status } } });
      const res = await api('GET', '/payments', SK);
      expect(res.status).toBe(status);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
      const body = await res.text();
      expect(body).toContain(`<title>${status} `);
      expect(body).toContain('cloudflare');
    }
    expect(((await stats()).faults as Json).errors).toBe(3);
  });

  it('keeps the JSON error body for other statuses (429 as too_many_requests)', async () => {
    await admin('POST', '/_sim/faults', { routes: { 'GET /payments': { error_rate: 1, status: 429 } } });
    const limited = await api('GET', '/payments', SK);
    expect(limited.status).toBe(429);
    expect(await json(limited)).toMatchObject({ error_type: 'too_many_requests', error_codes: [] });
    await admin('POST', '/_sim/faults', { routes: { 'GET /payments': { error_rate: 1, status: 500 } } });
    const failed = await api('GET', '/payments', SK);
    expect(failed.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect((await json(failed)).error_type).toBe('server_error');
  });

  it('adds latency', async () => {
    await admin('POST', '/_sim/faults', { latency_ms: 200 });
    const started = Date.now();
    expect((await api('GET', '/payments', SK)).status).toBe(200);
    // Only a lower bound: the delay is the injected fault, not a performance claim.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(((await stats()).faults as Json).delays).toBe(1);
  });

  it('injects faults on the OAuth token endpoint too', async () => {
    await admin('POST', '/_sim/faults', {
      routes: { 'POST /connect/token': { error_rate: 1, status: 502 } },
    });
    const res = await call('/connect/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=ack_devoauthclientaaaaaaaaaaaa&client_secret=dev-oauth-client-secret',
    });
    expect(res.status).toBe(502);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect((await stats()).tokens_issued).toBe(0);
  });
});

describe('validation', () => {
  const codes = async (body: unknown) => {
    const res = await admin('POST', '/_sim/faults', body);
    expect(res.status).toBe(422);
    return (await json(res)).error_codes;
  };

  it('names each bad field, at the top level and per route', async () => {
    expect(
      await codes({ error_rate: 2, routes: { 'GET /payments': { status: 200, latency_ms: -1 } } }),
    ).toEqual([
      'error_rate_invalid',
      'routes.GET /payments.status_invalid',
      'routes.GET /payments.latency_ms_invalid',
    ]);
  });

  it('checks drop, drop_rate and the 120 s latency cap', async () => {
    expect(await codes({ drop: 'sideways', drop_rate: 1.5 })).toEqual(['drop_invalid', 'drop_rate_invalid']);
    // A numeric drop is its own rate.
    expect(await codes({ drop: 0.5, drop_rate: 0.5 })).toEqual(['drop_rate_invalid']);
    expect(await codes({ latency_ms: 120_001 })).toEqual(['latency_ms_invalid']);
    expect(
      (await admin('POST', '/_sim/faults', { latency_ms: 120_000, drop: 'after', drop_rate: 0 })).status,
    ).toBe(200);
  });

  it('checks chaos and refuses unknown fields', async () => {
    expect(
      await codes({
        latency: 5,
        chaos: { rate: 2, seed: 1.5, kinds: ['500', 'nope'], stall_ms: -1, extra: true },
        routes: { 'POST /payments': { chaos: { kinds: [] } } },
      }),
    ).toEqual([
      'latency_unknown',
      'chaos.extra_unknown',
      'chaos.rate_invalid',
      'chaos.seed_invalid',
      'chaos.kinds_invalid',
      'chaos.stall_ms_invalid',
      'routes.POST /payments.chaos.rate_invalid',
      'routes.POST /payments.chaos.kinds_invalid',
    ]);
    // Nothing half-applied.
    expect(await json(await admin('GET', '/_sim/faults'))).toEqual({});
  });
});
