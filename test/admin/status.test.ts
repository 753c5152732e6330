import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';

const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` };
const SECRETS = [
  DEV_CREDENTIALS.secretKey,
  DEV_CREDENTIALS.storefrontSecretKey,
  DEV_CREDENTIALS.oauthClientSecret,
  DEV_CREDENTIALS.adminToken,
  DEV_CREDENTIALS.webhookSigningKey,
];

describe('GET /admin/status', () => {
  it('needs the admin token', async () => {
    const res = await exports.default.fetch('http://bollard.test/admin/status');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_codes: ['admin_token_invalid'] });
  });

  it('shows the auth mode, surfaces, deadlines and the governor, and no secret', async () => {
    const res = await exports.default.fetch('http://bollard.test/admin/status', { headers: ADMIN });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const body = JSON.parse(text);
    expect(body.auth).toMatchObject({ mode: 'secret_key', storefront_key: 'dedicated', oauth_tokens: {} });
    expect(body.surfaces.webhooks).toEqual({ enabled: true, signing_keys: 1 });
    expect(body.upstream.deadlines.storefront).toEqual({ deadline_ms: 10_000, attempt_timeout_ms: 5_000 });
    expect(body.upstream.deadlines.agents).toEqual({ deadline_ms: 30_000, attempt_timeout_ms: 15_000 });
    expect(body.governor.write).toMatchObject({ configuredPerSecond: 100, scheduledPerSecond: 97 });
    expect(body.governor.write.saturatedLeases).toBeGreaterThanOrEqual(0);
    expect(body.this_isolate_gate).toMatchObject({ shed: expect.any(Number), leases: expect.any(Number) });
  });

  it('with OAuth, shows each surface token state (scopes, no token) after a call made one', async () => {
    const oauthEnv = { ...env, CHECKOUT_AUTH: 'oauth' };
    const app = createApp();
    const res = await app.request('/admin/status', { headers: ADMIN }, oauthEnv);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const body = JSON.parse(text);
    expect(body.auth.mode).toBe('oauth');
    expect(Object.keys(body.auth.oauth_tokens).sort()).toEqual(['agents', 'storefront', 'webhooks']);
    expect(body.auth.oauth_tokens.storefront.scopes.length).toBeGreaterThan(0);
    expect(body.auth.oauth_tokens.storefront).toMatchObject({ has_token: expect.any(Boolean) });
  });
});
