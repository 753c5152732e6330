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

/** The storefront origin the benches configure (`STOREFRONT_ORIGINS`) and send. */
export const BENCH_ORIGIN = 'https://shop.bench.example';

/** The simulator's own rate limits out of reach: a bench measures Bollard, not the simulator's throttling. */
export const SIM_LIMITS_OUT_OF_REACH = { SIM_READS_PER_SECOND: '100000', SIM_WRITES_PER_SECOND: '100000' };

/** Bollard's account governor out of reach (its leases still happen, and are counted). */
export const GOVERNOR_OUT_OF_REACH = {
  RATE_LIMIT_READS_PER_SECOND: '100000',
  RATE_LIMIT_WRITES_PER_SECOND: '100000',
};

/**
 * The storefront in open mode for `BENCH_ORIGIN`, its per-client and account budgets out of reach: the
 * benches measure the path, not the throttles (their round trips still happen).
 */
export const OPEN_STOREFRONT_VARS = {
  STOREFRONT_ORDER_MODE: 'open',
  STOREFRONT_ORIGINS: BENCH_ORIGIN,
  STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '100000000',
  ...GOVERNOR_OUT_OF_REACH,
};

const billing = { address: { country: 'GB', city: 'London' } };
const returnUrls = {
  success_url: `${BENCH_ORIGIN}/?outcome=success`,
  failure_url: `${BENCH_ORIGIN}/?outcome=failure`,
};

/** A storefront session create as a shop page sends it to Bollard (open mode). */
export function storefrontSessionBody(reference: string): string {
  return JSON.stringify({ amount: 1999, currency: 'GBP', reference, billing, ...returnUrls });
}

/**
 * What Bollard sends upstream for that create (src/storefront/upstream-body.ts): the direct side's
 * `POST /payment-sessions`, sent by `createSessionDirect`.
 */
export function upstreamSessionBody(reference: string): string {
  return JSON.stringify({
    amount: 1999,
    currency: 'GBP',
    reference,
    billing,
    ...returnUrls,
    metadata: { bollard_session_marker: 'bsm_bench' },
    processing_channel_id: 'pc_devstorefrontchannelaaaaaa',
    payment_type: 'Regular',
    capture: true,
  });
}

/** `POST /payment-sessions` at `base` (the simulator, or a forwarding Worker) with the storefront's key. */
export function createSessionDirect(base: string, body: string): Promise<Response> {
  return fetch(`${base}/payment-sessions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${DEV_CREDENTIALS.storefrontSecretKey}`,
      'content-type': 'application/json',
      'cko-idempotency-key': crypto.randomUUID(),
    },
    body,
  });
}

/** `POST /v1/payment-sessions` on a Bollard at `base`, from `client` (its per-client budget is its own). */
export function createSessionVia(base: string, body: string, client: string): Promise<Response> {
  return fetch(`${base}/v1/payment-sessions`, {
    method: 'POST',
    headers: { origin: BENCH_ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': client },
    body,
  });
}
