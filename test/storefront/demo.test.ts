import { env } from 'cloudflare:workers';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { caller, errorOf } from './helpers';

const demoOn = { DEMO_ENABLED: 'true' } as const;

describe('demo shop routes', () => {
  it('are 404 unless DEMO_ENABLED=true (the dev-only token route above all)', async () => {
    expect(env.DEMO_ENABLED).toBe('false');
    const call = caller();
    expect((await call('/')).status).toBe(404);
    expect((await call('/demo/shop.js')).status).toBe(404);
    const mint = await call('/demo/order-token', { json: { item_id: 'mug' } });
    expect(mint.status).toBe(404);
    expect((await errorOf(mint)).error_codes).toEqual(['route_not_found']);
  });

  it('serves the shop page with a CSP that lets it reach only Bollard and the tokenization host', async () => {
    const res = await caller(demoOn)('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${new URL(env.CHECKOUT_API_BASE).origin}`);
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/demo/shop.js">');
    expect(html).toContain('Bollard mug');
    const js = await (await caller(demoOn)('/demo/shop.js')).text();
    expect(js).toContain("from '/v1/tokenize.js'");
    expect(js).toContain("from '/demo/confirm.js'");
    const confirm = await (await caller(demoOn)('/demo/confirm.js')).text();
    expect(confirm).toContain('Confirming your payment');
    expect(confirm).toContain('/status');
  });

  it('signs the price from the server catalogue, never from the browser', async () => {
    const res = await caller(demoOn)('/demo/order-token', { json: { item_id: 'hoodie', amount: 1 } });
    expect(res.status).toBe(201);
    const { order_token } = (await res.json()) as { order_token: string };
    const { payload } = await jwtVerify(order_token, new TextEncoder().encode(env.ORDER_TOKEN_KEY));
    expect(payload).toMatchObject({ amount: 4500, currency: 'GBP' });
    expect(typeof payload.jti).toBe('string');
    const bad = await caller(demoOn)('/demo/order-token', { json: { item_id: 'yacht' } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).error_codes).toEqual(['item_id_invalid']);
  });
});
