import { DEV_CREDENTIALS } from '../src/dev/credentials';

/** What the benches set up before timing anything: agents through Bollard's admin API, a payment to read. */

const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' };

/** Creates an agent on a Bollard at `base` and returns its key (payments read unless `grants` says). */
export async function createAgent(
  base: string,
  name: string,
  grants: Record<string, string> = { payments: 'read' },
): Promise<string> {
  const res = await fetch(`${base}/admin/agents`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ name, grants }),
  });
  if (res.status !== 201) throw new Error(`create agent: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** Creates an approved test-card payment directly on the simulator at `simUrl` and returns its id. */
export async function seedPayment(simUrl: string, reference: string): Promise<string> {
  const res = await fetch(`${simUrl}/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      amount: 1000,
      currency: 'EUR',
      reference,
      source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
    }),
  });
  if (res.status !== 201) throw new Error(`seed payment on ${simUrl}: ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}
