import { type CardToken, tokenizeCard } from '../../src/browser/tokenize';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { simFetcher } from '../oauth/sim-control';

/** The simulator, as Bollard reaches it in the test pool (service binding). */
export const sim = simFetcher();
export const SIM_BASE = 'http://127.0.0.1:8788';

/** A card token from the simulator's `/tokens`, made with the browser helper and the public key. */
export function cardToken(number = '4242 4242 4242 4242', cvv = '100'): Promise<CardToken> {
  return tokenizeCard(
    { number, expiry_month: 12, expiry_year: new Date().getFullYear() + 3, cvv },
    {
      publicKey: DEV_CREDENTIALS.publicKey,
      tokenizationUrl: `${SIM_BASE}/tokens`,
      fetch: (input, init) => sim.fetch(input instanceof URL ? input.href : input, init),
    },
  );
}

/** Reads a resource straight from the simulator with the full-access secret key. */
export async function simGet(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await sim.fetch(`${SIM_BASE}${path}`, {
    headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Posts straight to the simulator with the storefront secret key and an explicit Cko-Idempotency-Key. */
export async function simPost(
  path: string,
  body: unknown,
  idempotencyKey?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${DEV_CREDENTIALS.storefrontSecretKey}`,
    'content-type': 'application/json',
  };
  if (idempotencyKey) headers['cko-idempotency-key'] = idempotencyKey;
  const res = await sim.fetch(`${SIM_BASE}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Calls the simulator's control plane (`/_sim/*`). */
export async function simAdmin(method: string, path: string, body?: unknown): Promise<Response> {
  return sim.fetch(`${SIM_BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** How many payments the simulator holds under an order reference. */
export async function paymentsByReference(reference: string): Promise<number> {
  const { body } = await simGet(`/payments?reference=${encodeURIComponent(reference)}`);
  return typeof body.total_count === 'number' ? body.total_count : -1;
}

/**
 * Holds the simulator's answers to `POST /payment-sessions/{id}/submit` for `latencyMs` (the work still
 * finishes after the caller has gone) while `during` runs, then lifts the fault again. Each test file has
 * a simulator of its own (one per Miniflare runtime), so the fault can stay on until `during` is done.
 */
export async function withSlowSubmit<T>(latencyMs: number, during: () => Promise<T>): Promise<T> {
  const route = 'POST /payment-sessions/{id}/submit';
  const set = await simAdmin('POST', '/_sim/faults', { routes: { [route]: { latency_ms: latencyMs } } });
  if (set.status !== 200) throw new Error(`setting the fault failed: ${set.status} ${await set.text()}`);
  try {
    return await during();
  } finally {
    await simAdmin('DELETE', '/_sim/faults');
  }
}
