import { describe, expect, it } from 'vitest';
import { caller, errorOf, ORIGIN, openMode, sessionBody } from './helpers';

describe('CORS for the configured storefront origins only', () => {
  it('answers a preflight from a configured origin', async () => {
    const res = await caller()('/v1/payment-sessions', {
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

describe('per-client limits with a larger budget (leased to the isolate in batches)', () => {
  it('still allows the budget and no more', async () => {
    // 24/min: each Durable Object call grants up to 2, spent locally. The bucket refills one request per
    // 2.5 s, so a slow run may earn a few more: the bound below counts them.
    const call = caller({ ...openMode, STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '24' });
    const started = Date.now();
    let allowed = 0;
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const status = (await call('/v1/payment-links/pl_doesnotexist1')).status;
      if (status === 429) limited = true;
      else allowed++;
    }
    expect(limited).toBe(true);
    expect(allowed).toBeGreaterThanOrEqual(24);
    expect(allowed).toBeLessThanOrEqual(24 + Math.ceil((Date.now() - started) / 2500));
  });
});
