import { env } from 'cloudflare:workers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../src/admin/doctor/run';
import { secretsCheck } from '../../src/admin/doctor/secrets';
import { sendTestEvent } from '../../src/admin/doctor/test-event';
import { createApp } from '../../src/app';
import { EVENTS } from '../../src/catalog';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { accountGovernor } from '../../src/ratelimit/stubs';
import {
  ADMIN,
  checkOf,
  deleteWorkflow,
  doctor,
  registerWorkflow,
  SECRETS,
  sim,
  simConfigure,
  uniqueUrl,
} from './doctor-helpers';

/**
 * `GET /admin/doctor` against the simulator, first healthy, then with each check broken in turn. Every
 * answer is also scanned for the dev secrets (`doctor()` throws if one appears).
 */
const cleanups: Array<() => Promise<void>> = [];
// This file runs the doctor (about twenty upstream calls each) many times a second, and its helpers call
// the simulator directly, outside the governor. The permit governor refuses what exceeds the account's
// second after a 200 ms wait (the spacing before it queued for 2 s), so both budgets are lifted: the
// account's limit is not under test here (test/ratelimit is where it is).
beforeAll(async () => {
  await simConfigure({ reads_per_second: 1000, writes_per_second: 1000 });
  await accountGovernor(env).configure({ readsPerSecond: 1000, writesPerSecond: 1000 });
});
afterAll(async () => {
  await accountGovernor(env).configure(null);
  await simConfigure({ reads_per_second: 100, writes_per_second: 100 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function withWorkflow(url: string, o: Parameters<typeof registerWorkflow>[1] = {}): Promise<string> {
  const id = await registerWorkflow(url, o);
  cleanups.push(() => deleteWorkflow(id));
  return id;
}

/** A simulator secret key carrying only `scopes`, removed after the test. */
async function keyWith(scopes: string[]): Promise<string> {
  const key = `sk_sbox_${Array.from(crypto.getRandomValues(new Uint8Array(26)), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b & 31]).join('')}q`;
  await simConfigure({ keys: { [key]: { kind: 'secret', scopes } } });
  cleanups.push(() => simConfigure({ keys: { [key]: null } }));
  return key;
}

describe('GET /admin/doctor', () => {
  it('needs the admin token', async () => {
    const res = await createApp().request('/admin/doctor', {}, env);
    expect(res.status).toBe(401);
  });

  it('passes every check on the dev configuration with a workflow delivering here', async () => {
    const url = uniqueUrl();
    const wf = await withWorkflow(url);
    const report = await doctor(url);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.auth_mode).toBe('secret_key');
    expect(report.webhook).toEqual({ receiver_url: `${url}/webhooks/checkout`, workflow_id: wf });
    expect(report.checks.map((c) => c.check)).toEqual([
      'bindings',
      'secrets',
      'receipts',
      'scopes.storefront',
      'scopes.webhooks',
      'scopes.agents',
      'webhook_workflow',
      'storefront_origins',
      'rate_limits',
      'audit_archive',
      'approvals',
    ]);
    for (const c of report.checks) expect(c.fix).toBeNull();
    // Which scopes, verified how: the storefront's dedicated key, by an unknown-id read and an empty create.
    expect(checkOf(report, 'scopes.storefront').detail).toBe(
      'secret key CHECKOUT_STOREFRONT_SECRET_KEY: all 2 scopes verified by reads of an unknown id (404): gateway:payment-details (GET /payments/{id}); creates with an empty body, refused so nothing made (422): gateway:payment (POST /payment-sessions)',
    );
    expect(checkOf(report, 'scopes.agents').detail).toContain('all 12 scopes verified');
    expect(checkOf(report, 'webhook_workflow').detail).toContain(`${wf} → ${url}/webhooks/checkout`);
    expect(checkOf(report, 'webhook_workflow').detail).toContain('the test event proves it');
  });
});

describe('GET /admin/doctor with one thing broken', () => {
  it('bindings: a missing KV namespace or Durable Object', async () => {
    const report = await doctor(uniqueUrl(), { OAUTH_TOKENS: undefined, AUDIT_INDEX: {} });
    const c = checkOf(report, 'bindings');
    expect(c.ok).toBe(false);
    expect(c.detail).toBe('not bound: OAUTH_TOKENS (KV namespace), AUDIT_INDEX (Durable Object)');
    expect(c.fix).toContain('wrangler.toml');
    expect(report.ok).toBe(false);
  });

  it('secrets: missing ones are named, a wrong-kind key is refused without echoing it', async () => {
    const report = await doctor(uniqueUrl(), {
      CHECKOUT_SECRET_KEY: '',
      ORDER_TOKEN_KEY: '',
      WEBHOOK_SIGNING_KEYS: ' , ',
      CHECKOUT_PUBLIC_KEY: DEV_CREDENTIALS.storefrontSecretKey,
    });
    const c = checkOf(report, 'secrets');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain(
      'missing: CHECKOUT_SECRET_KEY, WEBHOOK_SIGNING_KEYS, ORDER_TOKEN_KEY (STOREFRONT_ORDER_MODE is signed)',
    );
    expect(c.detail).toContain('CHECKOUT_PUBLIC_KEY is not a public key (pk_...)');
    expect(c.fix).toContain('wrangler secret put CHECKOUT_SECRET_KEY');
    expect(checkOf(report, 'scopes.agents')).toMatchObject({ ok: false });
    expect(checkOf(report, 'scopes.agents').detail).toContain('CHECKOUT_SECRET_KEY is not set');
  });

  it('secrets: open order mode needs no order-token key; oauth mode needs the client secret', async () => {
    const open = await doctor(uniqueUrl(), { ORDER_TOKEN_KEY: '', STOREFRONT_ORDER_MODE: 'open' });
    expect(checkOf(open, 'secrets').ok).toBe(true);
    const oauth = await doctor(uniqueUrl(), { CHECKOUT_AUTH: 'oauth', CHECKOUT_OAUTH_CLIENT_SECRET: '' });
    expect(checkOf(oauth, 'secrets').detail).toContain('oauth mode; missing: CHECKOUT_OAUTH_CLIENT_SECRET');
    expect(checkOf(oauth, 'scopes.storefront').ok).toBe(false);
  });

  it('secrets: ADMIN_TOKEN must be 32 random bytes outside development (43 base64url or 64 hex characters)', async () => {
    const sandbox = { ...env, CHECKOUT_API_BASE: 'https://abc123.api.sandbox.checkout.com' };
    const secrets = (token: string, base: Env = sandbox) => secretsCheck({ ...base, ADMIN_TOKEN: token });
    const base64url = (bytes: number) =>
      btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))))
        .replaceAll('+', '-')
        .replaceAll('/', '_')
        .replace(/=+$/, '');
    const hex = (chars: number) =>
      Array.from(crypto.getRandomValues(new Uint8Array(chars)), (b) => (b & 15).toString(16)).join('');

    const weak = secrets(DEV_CREDENTIALS.adminToken);
    expect(weak.ok).toBe(false);
    expect(weak.detail).toContain(
      'wrong: ADMIN_TOKEN is too short to be 32 random bytes (17 characters, at most 102 bits)',
    );
    expect(weak.fix).toContain('openssl rand -base64 32 | wrangler secret put ADMIN_TOKEN');
    expect(`${weak.detail} ${weak.fix}`).not.toContain(DEV_CREDENTIALS.adminToken);
    // openssl rand -base64 32 (44 characters with its padding), -hex 32, and 32 bytes in base64url pass.
    expect(secrets(btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))).ok).toBe(true);
    expect(secrets(hex(64)).ok).toBe(true);
    expect(secrets(base64url(32)).ok).toBe(true);
    expect(base64url(32)).toHaveLength(43);
    // One character fewer is less than 256 bits.
    expect(secrets(base64url(32).slice(1)).ok).toBe(false);
    expect(secrets(hex(63)).ok).toBe(false);
    expect(secrets('7'.repeat(77)).ok).toBe(false);
    expect(secrets('7'.repeat(78)).ok).toBe(true);
    // Development (the local simulator): the short dev token is fine.
    expect(secrets(DEV_CREDENTIALS.adminToken, env).ok).toBe(true);

    // The doctor's own answer against a sandbox account says the same.
    const report = await doctor(uniqueUrl(), { CHECKOUT_API_BASE: sandbox.CHECKOUT_API_BASE });
    expect(checkOf(report, 'secrets')).toMatchObject({ ok: false });
    expect(checkOf(report, 'secrets').detail).toContain('ADMIN_TOKEN is too short');
    expect(report.ok).toBe(false);
  });

  it('scopes (secret key): a key without the refund and dispute-write scopes', async () => {
    const key = await keyWith([
      'gateway:payment',
      'gateway:payment-details',
      'disputes:view',
      'vault:instruments',
      'fx',
    ]);
    const report = await doctor(uniqueUrl(), { CHECKOUT_SECRET_KEY: key });
    expect(checkOf(report, 'scopes.webhooks').ok).toBe(true);
    const c = checkOf(report, 'scopes.agents');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain(
      'secret key CHECKOUT_SECRET_KEY lacks disputes:accept, disputes:provide-evidence, gateway:payment-authorizations, gateway:payment-captures, gateway:payment-refunds, gateway:payment-voids',
    );
    expect(c.detail).toContain('403 on POST /disputes/{id}/accept');
    expect(c.fix).toContain('Dashboard');
    expect(c.detail).not.toContain(key);
  });

  it('scopes (secret key): a storefront key that cannot create sessions', async () => {
    const key = await keyWith(['gateway:payment-details']);
    const report = await doctor(uniqueUrl(), { CHECKOUT_STOREFRONT_SECRET_KEY: key });
    const c = checkOf(report, 'scopes.storefront');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain(
      'CHECKOUT_STOREFRONT_SECRET_KEY lacks gateway:payment (403 on POST /payment-sessions)',
    );
    expect(checkOf(report, 'scopes.agents').ok).toBe(true);
  });

  it('scopes (secret key): a key the API does not know is a 401', async () => {
    const report = await doctor(uniqueUrl(), { CHECKOUT_SECRET_KEY: 'sk_sbox_unknownkeyaaaaaaaaaaaaaaaaaq' });
    const c = checkOf(report, 'scopes.agents');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('secret key CHECKOUT_SECRET_KEY is rejected by the API (401');
    expect(c.fix).toContain('another environment');
  });

  it('scopes (oauth): passes with the dev client, each surface asking for exactly its scopes', async () => {
    const url = uniqueUrl();
    await withWorkflow(url);
    const report = await doctor(url, { CHECKOUT_AUTH: 'oauth' });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.auth_mode).toBe('oauth');
    expect(checkOf(report, 'scopes.webhooks').detail).toMatch(
      /^oauth token for "disputes:view gateway:payment-details" \(granted by the token endpoint\): all 2 scopes verified/,
    );
  });

  it('scopes (oauth): a wrong client secret is invalid_client', async () => {
    const report = await doctor(uniqueUrl(), {
      CHECKOUT_AUTH: 'oauth',
      CHECKOUT_OAUTH_CLIENT_SECRET: 'not-the-secret',
    });
    const c = checkOf(report, 'scopes.storefront');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('invalid_client');
    expect(c.fix).toContain('CHECKOUT_OAUTH_CLIENT_SECRET');
    expect(JSON.stringify(report)).not.toContain('not-the-secret');
  });

  it('scopes (oauth): a client not allowed the dispute scopes gets invalid_scope for those surfaces', async () => {
    const id = `ack_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`;
    await simConfigure({
      oauth_clients: { [id]: { secret: 'doctor-test-secret', scopes: ['gateway', 'flow'] } },
    });
    cleanups.push(() => simConfigure({ oauth_clients: { [id]: null } }));
    const report = await doctor(uniqueUrl(), {
      CHECKOUT_AUTH: 'oauth',
      CHECKOUT_OAUTH_CLIENT_ID: id,
      CHECKOUT_OAUTH_CLIENT_SECRET: 'doctor-test-secret',
    });
    expect(checkOf(report, 'scopes.storefront').ok).toBe(true);
    const c = checkOf(report, 'scopes.webhooks');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain(
      'refused a token for "disputes:view gateway:payment-details": invalid_scope (400)',
    );
    expect(c.fix).toContain('grant the OAuth access key these scopes');
  });

  it('scopes (oauth): CHECKOUT_OAUTH_SCOPES narrower than a surface needs', async () => {
    const report = await doctor(uniqueUrl(), { CHECKOUT_AUTH: 'oauth', CHECKOUT_OAUTH_SCOPES: 'gateway' });
    expect(checkOf(report, 'scopes.storefront').ok).toBe(true);
    const c = checkOf(report, 'scopes.webhooks');
    expect(c.ok).toBe(false);
    expect(c.detail).toBe('oauth: CHECKOUT_OAUTH_SCOPES (gateway) does not cover disputes:view');
  });

  it('scopes: an unknown auth mode', async () => {
    const report = await doctor(uniqueUrl(), { CHECKOUT_AUTH: 'api_key' });
    expect(checkOf(report, 'scopes')).toMatchObject({ ok: false });
    expect(report.auth_mode).toBe('invalid');
  });

  it('webhook workflow: none delivers here', async () => {
    const url = uniqueUrl();
    await withWorkflow(uniqueUrl());
    const c = checkOf(await doctor(url), 'webhook_workflow');
    expect(c.ok).toBe(false);
    expect(c.detail).toMatch(
      new RegExp(`^no workflow delivers to ${url}/webhooks/checkout \\(\\d+ workflows? on the account\\)$`),
    );
    expect(c.fix).toContain(`npx bollard webhooks register --url ${url}`);
  });

  it('webhook workflow: one that misses events', async () => {
    const url = uniqueUrl();
    const wf = await withWorkflow(url, {
      events: EVENTS.map((e) => e.type).filter((t) => !t.startsWith('dispute_')),
    });
    const c = checkOf(await doctor(url), 'webhook_workflow');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain(
      `${wf} → ${url}/webhooks/checkout: misses 4 of the guide's 10 events (dispute_received, dispute_evidence_required, dispute_won, dispute_lost)`,
    );
  });

  it('webhook workflow: an inactive one', async () => {
    const url = uniqueUrl();
    const wf = await withWorkflow(url, { active: false });
    const c = checkOf(await doctor(url), 'webhook_workflow');
    expect(c).toMatchObject({ ok: false, detail: `${wf} → ${url}/webhooks/checkout: inactive` });
    expect(c.fix).toContain(`PATCH /workflows/${wf} {"active": true}`);
  });

  it('webhook workflow: a shared-secret header Bollard requires but the action does not send', async () => {
    const url = uniqueUrl();
    await withWorkflow(url);
    const c = checkOf(await doctor(url, { WEBHOOK_AUTH_HEADER_VALUE: 'wha_doctor' }), 'webhook_workflow');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain(
      'WEBHOOK_AUTH_HEADER_VALUE is set but the action sends no Authorization header',
    );
  });

  it('storefront origins: wildcards, paths, plain http and an empty list in use', async () => {
    const bad = checkOf(
      await doctor(uniqueUrl(), {
        STOREFRONT_ORIGINS: 'https://*.shop.example,https://shop.example/checkout,http://shop.example,shop',
      }),
      'storefront_origins',
    );
    expect(bad.ok).toBe(false);
    expect(bad.detail).toBe(
      '"https://*.shop.example": a wildcard (list each origin); "https://shop.example/checkout": has a path (an origin is scheme://host[:port]); "http://shop.example": plain http (only loopback may be); "shop": not a URL',
    );
    const empty = checkOf(await doctor(uniqueUrl(), { STOREFRONT_ORIGINS: '' }), 'storefront_origins');
    expect(empty.ok).toBe(false);
    expect(empty.detail).toContain('empty, but the storefront is in use');
    const unused = checkOf(
      await doctor(uniqueUrl(), { STOREFRONT_ORIGINS: '', CHECKOUT_PUBLIC_KEY: '' }),
      'storefront_origins',
    );
    expect(unused.ok).toBe(true);
    const good = checkOf(
      await doctor(uniqueUrl(), { STOREFRONT_ORIGINS: 'https://shop.example, https://www.shop.example/' }),
      'storefront_origins',
    );
    expect(good).toMatchObject({ ok: true, detail: '2 origins, all exact, all https' });
  });

  it('rate limits: budgets over the account limits, junk, and a wait longer than a deadline allows', async () => {
    const over = checkOf(
      await doctor(uniqueUrl(), { RATE_LIMIT_READS_PER_SECOND: '150', RATE_LIMIT_WRITES_PER_SECOND: 'lots' }),
      'rate_limits',
    );
    expect(over.ok).toBe(false);
    expect(over.detail).toContain('RATE_LIMIT_READS_PER_SECOND=150 exceeds the account limit of 100/s');
    expect(over.detail).toContain('RATE_LIMIT_WRITES_PER_SECOND="lots" is not a positive number');
    const wait = checkOf(await doctor(uniqueUrl(), { RATE_LIMIT_MAX_WAIT_MS: '9000' }), 'rate_limits');
    expect(wait.ok).toBe(false);
    expect(wait.detail).toBe(
      'RATE_LIMIT_MAX_WAIT_MS=9000 leaves storefront no full attempt (5000 ms) inside its 10000 ms deadline',
    );
    expect(wait.fix).toBe('lower RATE_LIMIT_MAX_WAIT_MS to at most 5000');
  });
});

describe('POST /admin/doctor/webhook-test', () => {
  const post = (url: string) =>
    createApp().request(
      '/admin/doctor/webhook-test',
      {
        method: 'POST',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      },
      env,
    );

  it('sends the test event through the simulator’s POST /workflows/{id}/test, as the API’s sandbox', async () => {
    const url = uniqueUrl();
    const wf = await withWorkflow(url);
    const client = adminClient(env);
    if (typeof client === 'string') throw new Error(client);
    // The simulator cannot reach https://doctor-….bollard.test from here, so nothing arrives: the e2e test
    // (test/e2e/doctor.test.ts) sees it arrive through wrangler dev.
    const answer = await sendTestEvent(env, client, url, { waitMs: 1000 });
    expect(answer).toMatchObject({ unsupported: false, workflow_id: wf, check: { ok: false } });
    expect(answer.check.detail).toBe(`sent through ${wf}, but nothing reached the inbox within 1 s`);
    const log = (await (
      await sim(`/_sim/webhooks?workflow_id=${wf}&kind=test`, {}, DEV_CREDENTIALS.simAdminKey)
    ).json()) as { data: { event_type: string; url: string }[] };
    expect(log.data.map((d) => [d.event_type, d.url])).toEqual([
      ['payment_approved', `${url}/webhooks/checkout`],
    ]);
  });

  it('reports the endpoint unsupported where the API has none (the simulator standing in for production)', async () => {
    const url = uniqueUrl();
    const wf = await withWorkflow(url);
    await simConfigure({ environment: 'production' });
    cleanups.push(() => simConfigure({ environment: 'sandbox' }));
    const res = await post(url);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(JSON.parse(text)).toMatchObject({
      unsupported: true,
      workflow_id: wf,
      check: {
        check: 'webhook_test_event',
        ok: false,
        detail: 'the API has no POST /workflows/{id}/test here (answered 404; it exists in the sandbox only)',
      },
    });
  });

  it('fails without a workflow to send through', async () => {
    const body = (await (await post(uniqueUrl())).json()) as {
      unsupported: boolean;
      check: { ok: boolean; fix: string };
    };
    expect(body).toMatchObject({
      unsupported: false,
      check: { ok: false, fix: 'fix webhook_workflow first' },
    });
  });

  it('refuses a url that is not an http(s) URL', async () => {
    const res = await post('ftp://x');
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error_codes: ['url_invalid'] });
  });
});
