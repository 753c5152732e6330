import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { newSigningKey, registerWebhookWorkflow } from '../../src/cli/webhooks-command';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { until } from './until';

/**
 * Real `wrangler dev` processes: a workflow registered on the simulator (the way `bollard webhooks
 * register` does it, with a fresh key given to Bollard), a card payment made on the simulator, and the
 * signed events arriving in Bollard's inbox over loopback HTTP.
 */
const SIM_PORT = 18790;
const BOLLARD_PORT = 18791;
const signingKey = newSigningKey();
let stack: Stack;

const admin = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${stack.bollardUrl}${path}`, {
    headers: { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
};

beforeAll(async () => {
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: { WEBHOOK_SIGNING_KEYS: signingKey, DEMO_ENABLED: 'true' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('webhooks end to end', () => {
  it('registers a workflow on the simulator and receives its signed events for a real payment', async () => {
    const registered = await registerWebhookWorkflow({
      apiBase: stack.simUrl,
      secretKey: DEV_CREDENTIALS.secretKey,
      url: stack.bollardUrl,
      signingKey,
    });
    expect(registered.workflowId).toMatch(/^wf_/);

    const res = await fetch(`${stack.simUrl}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: 4200,
        currency: 'EUR',
        capture: true,
        reference: 'e2e-webhooks',
        source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
      }),
    });
    expect(res.status).toBe(201);
    const payment = (await res.json()) as { id: string };

    const listed = await until(async () => {
      const page = await admin<{ total_count: number; data: Array<{ type: string; status: string }> }>(
        `/admin/events?subject=${payment.id}`,
      );
      const types = page.data.map((e) => e.type);
      return types.includes('payment_approved') && page.data.every((e) => e.status === 'processed')
        ? page
        : undefined;
    });
    expect(listed.data.map((e) => e.type)).toContain('payment_approved');

    const projection = await until(async () => {
      const p = await admin<{ status: string; amount_authorized: number }>(`/admin/payments/${payment.id}`);
      return p.amount_authorized === 4200 ? p : undefined;
    });
    expect(['Authorized', 'Captured']).toContain(projection.status);

    // The demo feed (DEMO_ENABLED) shows the same events without a credential.
    const feed = (await (
      await fetch(`${stack.bollardUrl}/v1/events/recent?payment_id=${payment.id}`)
    ).json()) as {
      data: Array<{ type: string }>;
    };
    expect(feed.data.map((e) => e.type)).toContain('payment_approved');
  });

  it('refuses a delivery signed with any other key, over real HTTP', async () => {
    const body = JSON.stringify({
      id: 'evt_x',
      type: 'payment_approved',
      created_on: new Date().toISOString(),
      data: {},
    });
    const res = await fetch(`${stack.bollardUrl}/webhooks/checkout`, {
      method: 'POST',
      headers: { 'cko-signature': 'ab'.repeat(32), 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(401);
  });
});
