import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { IsolateBuckets } from '../../src/storefront/client-limit';
import { caller, errorOf, linkBody, meteredCaller, ORIGIN, openMode, sessionBody } from './helpers';

describe('CORS for the configured storefront origins only', () => {
  it('answers a preflight from a configured origin, letting both creates carry Idempotency-Key', async () => {
    for (const path of ['/v1/payment-sessions', '/v1/payment-links']) {
      const res = await caller()(path, {
        method: 'OPTIONS',
        headers: {
          origin: ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,idempotency-key',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    }
  });

  it('lets the page read that an answer was replayed for its key', async () => {
    const init = {
      json: linkBody({ amount: 1000, currency: 'GBP' }),
      headers: { origin: ORIGIN, 'idempotency-key': crypto.randomUUID() },
    };
    await caller(openMode)('/v1/payment-links', init);
    const again = await caller(openMode)('/v1/payment-links', init);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(again.headers.get('access-control-expose-headers')).toContain('Idempotent-Replayed');
  });

  it('gives no Access-Control-Allow-Origin to any other origin, preflight or not', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:8787.evil.example', 'null']) {
      const pre = await caller()('/v1/payment-sessions', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(403);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const get = await caller()('/v1/config', { headers: { origin } });
      expect(get.status).toBe(403);
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
      expect((await errorOf(get)).error_codes).toEqual(['origin_not_allowed']);
    }
  });

  it('keeps the CORS headers on error answers, so the page can read the error', async () => {
    const res = await caller(openMode)('/v1/payment-sessions', {
      json: sessionBody({ amount: 1, currency: 'GBP' }),
      headers: { origin: ORIGIN },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toContain('Cko-Request-Id');
  });

  it('sets no CORS header on routes outside the storefront surface', async () => {
    const res = await caller()('/healthz', { headers: { origin: ORIGIN } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('per-client request limits', () => {
  it('answers 429 with Retry-After once a client spends its budget, and only that client', async () => {
    const overrides = { ...openMode, STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '3' };
    const call = caller(overrides);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await call('/v1/payment-links/pl_doesnotexist1');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    expect(last?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(last && (await errorOf(last)).error_codes).toEqual(['client_rate_limited']);
    // Another client is unaffected.
    expect((await caller(overrides)('/v1/payment-links/pl_doesnotexist1')).status).toBe(404);
  });

  it('does not count CORS preflights against the budget', async () => {
    const call = caller({ ...openMode, STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '1' });
    for (let i = 0; i < 3; i++) {
      const pre = await call('/v1/payment-links', {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(204);
    }
    expect((await call('/v1/payment-links/pl_doesnotexist1')).status).toBe(404);
  });
});

describe('STOREFRONT_CLIENT_LIMIT_PER_MINUTE: the per-isolate cap', () => {
  it('still allows the budget and no more', async () => {
    // 24/min, refilled one request per 2.5 s: a slow run may earn a few more, and the bound counts them.
    const call = caller({ ...openMode, STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '24' });
    const started = Date.now();
    let allowed = 0;
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await call('/v1/payment-links/pl_doesnotexist1');
      // Only the client cap's own 429 ends the budget (the account governor may shed too, after its take).
      if (res.status === 429 && (await errorOf(res)).error_codes.includes('client_rate_limited'))
        limited = true;
      else allowed++;
    }
    expect(limited).toBe(true);
    expect(allowed).toBeGreaterThanOrEqual(24);
    expect(allowed).toBeLessThanOrEqual(24 + Math.ceil((Date.now() - started) / 2500));
  });

  it('is a token bucket per client: full at first, refilled at the per-minute rate, bounded in size', () => {
    const buckets = new IsolateBuckets(3);
    const spent = Array.from({ length: 60 }, () => buckets.take('a', 60, 0));
    expect(spent.every((wait) => wait === 0)).toBe(true);
    expect(buckets.take('a', 60, 0)).toBe(1);
    // One request a second comes back.
    expect(buckets.take('a', 60, 1_500)).toBe(0);
    expect(buckets.take('a', 60, 1_500)).toBe(1);
    expect(buckets.take('b', 60, 1_500)).toBe(0);
    // Another limit (another env) starts the client afresh.
    expect(buckets.take('a', 5, 1_500)).toBe(0);
    for (const client of ['c', 'd', 'e']) buckets.take(client, 60, 1_500);
    expect(buckets.size).toBe(3);
  });
});

describe('STOREFRONT_CLIENT_LIMITER: the Rate Limiting binding', () => {
  it('is bound from wrangler.toml', () => {
    expect(typeof env.STOREFRONT_CLIENT_LIMITER.limit).toBe('function');
  });

  it('is asked with the client address, and its refusal is a 429 with Retry-After and no guard call', async () => {
    const keys: string[] = [];
    const refusing: RateLimit = {
      limit: async ({ key }) => {
        keys.push(key);
        return { success: false };
      },
    };
    const call = meteredCaller({ ...openMode, STOREFRONT_CLIENT_LIMITER: refusing });
    const { res, calls } = await call('/v1/payment-sessions', {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
      headers: { origin: ORIGIN, 'idempotency-key': crypto.randomUUID() },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await errorOf(res)).error_codes).toEqual(['client_rate_limited']);
    expect(keys).toEqual([call.client]);
    expect(calls).toEqual([]);
  });

  it('lets payments through when the limiter itself fails', async () => {
    const broken: RateLimit = {
      limit: async () => {
        throw new Error('limiter unavailable');
      },
    };
    const res = await caller({ ...openMode, STOREFRONT_CLIENT_LIMITER: broken })('/v1/payment-links/pl_x');
    expect(res.status).toBe(422);
  });

  it('holds a client to the limit configured in wrangler.toml (60 per 60 s), whatever the variable says', async () => {
    // The variable raised out of the way: only the binding counts. Malformed ids answer 422 right after
    // the limit, without going upstream. Miniflare counts in fixed 60 s windows: should one end during
    // the run, its count starts again, so up to two windows' worth may pass.
    const call = caller({ ...openMode, STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '100000' });
    let allowed = 0;
    let last: Response | undefined;
    for (let i = 0; i < 130; i++) {
      last = await call('/v1/payment-links/not-a-link');
      if (last.status === 429) break;
      expect(last.status).toBe(422);
      allowed++;
    }
    expect(last?.status).toBe(429);
    expect(allowed).toBeGreaterThanOrEqual(60);
    expect(allowed).toBeLessThanOrEqual(120);
    // Another client has its own count.
    expect((await caller(openMode)('/v1/payment-links/not-a-link')).status).toBe(422);
  });
});
