import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import type { AppEnv } from '../../src/http';
import { errorHandler, requestContext } from '../../src/http';
import { RollingAggregate } from '../../src/metrics/aggregate';
import { DATA_POINT_LAYOUT, type RequestMetric, toDataPoint } from '../../src/metrics/data-point';
import { requestMetrics } from '../../src/metrics/middleware';
import { noteGovernorWait, noteUpstreamAnswer } from '../../src/metrics/request-observer';
import { surfaceOf } from '../../src/metrics/surface';

const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` };

/** A writer standing in for the METRICS binding (locally it accepts data points and stores nothing). */
function recorder() {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, writer: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => p && points.push(p) } };
}

/** The whole app, with the METRICS binding replaced by a recorder. */
function appWithRecorder() {
  const r = recorder();
  const app = createApp();
  const call = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('cf-connecting-ip', `203.0.113.${Math.floor(Math.random() * 250) + 1}`);
    return app.fetch(new Request(`http://bollard.test${path}`, { ...init, headers }), {
      ...env,
      METRICS: r.writer,
    } as Env);
  };
  return { ...r, call };
}

const fields = (p: AnalyticsEngineDataPoint | undefined) => {
  const blobs = p?.blobs ?? [];
  const doubles = p?.doubles ?? [];
  return {
    ...Object.fromEntries(DATA_POINT_LAYOUT.blobs.map((name, i) => [name, blobs[i]])),
    ...Object.fromEntries(DATA_POINT_LAYOUT.doubles.map((name, i) => [name, doubles[i]])),
    index: p?.indexes?.[0],
  } as Record<string, unknown>;
};

describe('the METRICS binding', () => {
  it('exists under the pinned Miniflare and accepts a data point (which it does not store)', () => {
    const metrics = env.METRICS;
    expect(metrics).toBeDefined();
    expect(() => metrics?.writeDataPoint({ indexes: ['other'], blobs: ['x'], doubles: [1] })).not.toThrow();
  });
});

describe('one data point per request', () => {
  it('labels a request by surface, route template, method and status', async () => {
    const { points, call } = appWithRecorder();
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/admin/events/evt_abcdefghijklmnopqrstuvwxyz', { headers: ADMIN })).status).toBe(404);
    expect((await call('/no/such/route')).status).toBe(404);
    expect((await call('/admin/status')).status).toBe(401);
    expect(points.map(fields)).toMatchObject([
      {
        index: 'other',
        surface: 'other',
        route: '/healthz',
        method: 'GET',
        status: 200,
        status_class: '2xx',
      },
      { surface: 'admin', route: '/admin/events/:id', status: 404, upstream_status: 0, upstream_attempts: 0 },
      { surface: 'other', route: 'unmatched', status: 404 },
      { surface: 'admin', route: '/admin/status', status: 401 },
    ]);
    for (const p of points) {
      const f = fields(p);
      expect(f.latency_ms).toBeGreaterThanOrEqual(0);
      expect(f.environment).toBe('sandbox');
    }
  });

  it('records the upstream status, attempts and governor wait of a storefront call', async () => {
    const { points, call } = appWithRecorder();
    const res = await call('/v1/payment-links/pl_doesnotexist1');
    expect(res.status).toBe(404);
    expect(fields(points[0])).toMatchObject({
      surface: 'storefront',
      route: '/v1/payment-links/:id',
      status: 404,
      upstream_status: 404,
      upstream_attempts: 1,
    });
    expect(fields(points[0]).governor_wait_ms).toBeGreaterThanOrEqual(0);
  });

  it('never writes a key, token, card number or body, whatever the request carries', async () => {
    const { points, call } = appWithRecorder();
    const secrets = [
      DEV_CREDENTIALS.adminToken,
      DEV_CREDENTIALS.secretKey,
      '4242424242424242',
      'bak_abcdefghijklmnopqrstuvwxyz234567abcdefgh',
      'whsec_secret',
    ];
    await call(`/admin/events/evt_4242424242424242?token=${secrets[3]}`, { headers: ADMIN });
    await call('/webhooks/checkout', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'cko-signature': 'deadbeef',
        authorization: secrets[4] ?? '',
      },
      body: JSON.stringify({ card: { number: '4242424242424242' }, key: DEV_CREDENTIALS.secretKey }),
    });
    await call(`/agent/v1/payments/pay_${'4'.repeat(16)}`, {
      headers: { authorization: `Bearer ${secrets[3]}` },
    });
    expect(points.length).toBe(3);
    const written = JSON.stringify(points);
    for (const s of secrets) expect(written).not.toContain(s);
    expect(written).not.toContain('evt_4242');
    expect(fields(points[1])).toMatchObject({
      surface: 'webhooks',
      route: '/webhooks/checkout',
      status: 401,
    });
    expect(fields(points[2])).toMatchObject({ surface: 'agents', agent_id: '' });
  });

  it('takes the agent id an area sets on the context, and only in its shape', async () => {
    const r = recorder();
    const app = new Hono<AppEnv>();
    app.use('*', requestContext());
    app.use('*', requestMetrics({ writer: () => r.writer, aggregate: new RollingAggregate() }));
    app.onError(errorHandler);
    app.get('/agent/v1/ok', (c) => {
      c.set('agentId', 'agt_0123456789abcdefghjkmnpqrs');
      noteGovernorWait(12);
      noteUpstreamAnswer(429);
      noteUpstreamAnswer(200);
      return c.json({ ok: true });
    });
    app.get('/agent/v1/bad', (c) => {
      c.set('agentId', 'bak_not_an_agent_id');
      noteUpstreamAnswer(null);
      throw new Error('boom');
    });
    await app.request('/agent/v1/ok', {}, env);
    await app.request('/agent/v1/bad', {}, env);
    expect(r.points.map(fields)).toMatchObject([
      {
        surface: 'agents',
        route: '/agent/v1/ok',
        agent_id: 'agt_0123456789abcdefghjkmnpqrs',
        status: 200,
        upstream_status: 200,
        upstream_attempts: 2,
        governor_wait_ms: 12,
      },
      { agent_id: '', status: 500, upstream_status: -1, upstream_attempts: 1 },
    ]);
  });

  it('a failing writer never fails the request', async () => {
    const app = new Hono<AppEnv>();
    app.use('*', requestContext());
    app.use(
      '*',
      requestMetrics({
        writer: () => ({
          writeDataPoint: () => {
            throw new Error('dataset unavailable');
          },
        }),
        aggregate: new RollingAggregate(),
      }),
    );
    app.get('/x', (c) => c.text('ok'));
    expect((await app.request('/x', {}, env)).status).toBe(200);
  });
});

describe('data point layout', () => {
  const base: RequestMetric = {
    surface: 'admin',
    route: '/admin/events/:id',
    method: 'GET',
    agentId: '',
    status: 200,
    upstreamStatus: 0,
    upstreamAttempts: 0,
    latencyMs: 3,
    governorWaitMs: 0,
    environment: 'sandbox',
    colo: 'LHR',
  };

  it('keeps to 1 index, 7 blobs and 5 doubles, and reduces odd labels to safe ones', () => {
    expect(toDataPoint(base)).toEqual({
      indexes: ['admin'],
      blobs: ['admin', '/admin/events/:id', 'GET', '', '2xx', 'sandbox', 'LHR'],
      doubles: [200, 0, 3, 0, 0],
    });
    const odd = toDataPoint({
      ...base,
      route: '/x?key=sk_live',
      method: 'BREW',
      agentId: 'sk_sbox_x',
      colo: 'x y',
    });
    expect(odd.blobs).toEqual(['admin', 'unmatched', 'OTHER', '', '2xx', 'sandbox', '']);
  });

  it('names the surface by path prefix', () => {
    expect(
      [
        '/v1/payment-sessions',
        '/openapi.json',
        '/webhooks/checkout',
        '/agent/mcp',
        '/admin',
        '/',
        '/demo/order-token',
        '/v1/events/recent',
        '/healthz',
      ].map(surfaceOf),
    ).toEqual(['storefront', 'storefront', 'webhooks', 'agents', 'admin', 'demo', 'demo', 'demo', 'other']);
  });
});

describe('the rolling aggregate', () => {
  const m = (over: Partial<RequestMetric>): RequestMetric => ({
    surface: 'storefront',
    route: '/v1/payment-sessions',
    method: 'POST',
    agentId: '',
    status: 201,
    upstreamStatus: 201,
    upstreamAttempts: 1,
    latencyMs: 40,
    governorWaitMs: 2,
    environment: 'sandbox',
    colo: '',
    ...over,
  });

  it('sums a window, reports bucketed percentiles, and forgets what is older', () => {
    const agg = new RollingAggregate();
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    for (let i = 0; i < 90; i++) agg.add(m({ latencyMs: 40 }), t);
    for (let i = 0; i < 10; i++)
      agg.add(m({ latencyMs: 700, status: 504, upstreamStatus: -1, governorWaitMs: 30 }), t);
    agg.add(m({ surface: 'agents', route: '/agent/v1/*', agentId: 'agt_a' }), t);
    agg.add(m({}), t - 2 * 60 * 60 * 1000); // two hours earlier
    const s = agg.summary(60 * 60 * 1000, t);
    expect(s.totals.requests).toBe(101);
    expect(s.surfaces.storefront).toMatchObject({
      requests: 100,
      status: { '2xx': 90, '5xx': 10 },
      error_rate: 0.1,
      latency_ms: { p50: 50, p95: 1000, p99: 1000 },
      governor_wait_ms: { max: 30 },
      upstream: { requests: 100, attempts: 100, failed: 10 },
    });
    expect(s.routes[0]).toMatchObject({
      surface: 'storefront',
      method: 'POST',
      route: '/v1/payment-sessions',
    });
    expect(s.agents).toMatchObject([{ agent_id: 'agt_a', requests: 1 }]);
    expect(agg.summary(3 * 60 * 60 * 1000, t).totals.requests).toBe(102);
    expect(agg.summary(60 * 60 * 1000, t + 61 * 60 * 1000).totals.requests).toBe(0);
  });
});

describe('GET /admin/metrics', () => {
  it('answers from this isolate by default, approximate, and counts the requests it served', async () => {
    const { call } = appWithRecorder();
    for (let i = 0; i < 3; i++) await call('/healthz');
    const res = await call('/admin/metrics?window=15m', { headers: ADMIN });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      source: string;
      approximate: boolean;
      window: string;
      totals: { requests: number };
      routes: Array<{ route: string; requests: number }>;
    };
    expect(body).toMatchObject({ source: 'isolate', approximate: true, window: '15m' });
    expect(body.totals.requests).toBeGreaterThanOrEqual(3);
    expect(body.routes.find((r) => r.route === '/healthz')?.requests).toBeGreaterThanOrEqual(3);
  });

  it('needs the admin token and a valid window', async () => {
    const { call } = appWithRecorder();
    expect((await call('/admin/metrics')).status).toBe(401);
    const bad = await call('/admin/metrics?window=7d', { headers: ADMIN });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error_codes: ['window_invalid'] });
  });
});
