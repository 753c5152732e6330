import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { TOKENIZE_JS } from '../../src/browser/tokenize-bundle';
import { caller, ORIGIN } from './helpers';

describe('GET /v1/config, /v1/tokenize.js, /openapi.json', () => {
  it('tells the browser the public key, environment and tokenization URL, and nothing secret', async () => {
    const res = await caller()('/v1/config', { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      public_key: env.CHECKOUT_PUBLIC_KEY,
      environment: 'sandbox',
      tokenization_url: `${env.CHECKOUT_API_BASE}/tokens`,
      tokenize_js: 'http://bollard.test/v1/tokenize.js',
      order_mode: 'signed',
    });
    expect(body.currencies).toContainEqual({ code: 'GBP', min: 100, max: 100000 });
    const text = JSON.stringify(body);
    expect(text).not.toContain('sk_');
    expect(text).not.toContain(env.ORDER_TOKEN_KEY);
  });

  it('serves the helper as a small JavaScript module exporting tokenizeCard', async () => {
    const res = await caller()('/v1/tokenize.js', { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const js = await res.text();
    expect(js).toBe(TOKENIZE_JS);
    expect(js).toMatch(/export\s*\{[^}]*tokenizeCard/);
    expect(js.length).toBeLessThan(8 * 1024);
    // Dependency-free: no import statement and no dynamic import().
    expect(js).not.toMatch(/(^|[;}])\s*import\s*[{*'"]|\bimport\(/);
  });

  it('publishes an OpenAPI 3.1 document generated from the schemas', async () => {
    const res = await caller()('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: {
        schemas: Record<string, { additionalProperties?: unknown; properties?: Record<string, unknown> }>;
      };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/config',
      '/v1/payment-links',
      '/v1/payment-links/{id}',
      '/v1/payment-sessions',
      '/v1/payment-sessions/{id}/status',
      '/v1/payment-sessions/{id}/submit',
      '/v1/tokenize.js',
    ]);
    const session = doc.components.schemas.PaymentSessionRequest;
    expect(session?.additionalProperties).toBe(false);
    expect(Object.keys(session?.properties ?? {})).toContain('order_token');
    expect(Object.keys(session?.properties ?? {})).not.toContain('processing_channel_id');
  });
});
