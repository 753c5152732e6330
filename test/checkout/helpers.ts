import { env } from 'cloudflare:workers';
import type { Access } from '../../src/catalog';
import { type CheckoutClientOptions, createCheckoutClient, type RateGate } from '../../src/checkout';
import type { RecordedAttempt, Step } from '../support/flaky-upstream-worker';

/** Test-only credentials in the real formats; the flaky upstream accepts anything. */
export const TEST_SECRET_KEY = 'sk_sbox_flakytestsecretkeyaaaaaaaq';
export const TEST_PUBLIC_KEY = 'pk_sbox_flakytestpublickeyaaaaaaaq';

const flaky = (env as unknown as { FLAKY_UPSTREAM: Fetcher }).FLAKY_UPSTREAM;

/** `fetch` through the FLAKY_UPSTREAM service binding (whatever host the URL names). */
export const flakyFetch: typeof fetch = (input, init) =>
  flaky.fetch(input instanceof URL ? input.href : input, init);

/** Scripts a fresh run on the flaky upstream; returns its id. */
export async function scriptRun(steps: Step[]): Promise<string> {
  const run = crypto.randomUUID();
  const res = await flaky.fetch(`http://flaky.test/_flaky/runs/${run}`, {
    method: 'PUT',
    body: JSON.stringify({ steps }),
  });
  if (res.status !== 204) throw new Error(`scripting the flaky upstream failed: ${res.status}`);
  return run;
}

/** Every attempt the flaky upstream saw for a run, in order. */
export async function attemptsOf(run: string): Promise<RecordedAttempt[]> {
  const res = await flaky.fetch(`http://flaky.test/_flaky/runs/${run}`);
  return ((await res.json()) as { attempts: RecordedAttempt[] }).attempts;
}

/** An injected sleep that records each requested delay and returns at once (no wall-clock waits). */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms) => {
      delays.push(ms);
    },
  };
}

/** A gate that admits everything and records what the client told it. */
export function recordingGate(): RateGate & {
  acquired: Access[];
  throttled: Array<{ access: Access; retryAfterSeconds: number | undefined }>;
} {
  const acquired: Access[] = [];
  const throttled: Array<{ access: Access; retryAfterSeconds: number | undefined }> = [];
  return {
    acquired,
    throttled,
    async acquire(access) {
      acquired.push(access);
      return undefined;
    },
    reportThrottled(access, retryAfterSeconds) {
      throttled.push({ access, retryAfterSeconds });
    },
  };
}

/** A client pointed at one scripted run, with recorded sleeps and a pinned jitter. */
export function clientFor(run: string, overrides: Partial<CheckoutClientOptions> = {}) {
  const sleep = recordingSleep();
  const client = createCheckoutClient({
    baseUrl: `http://flaky.test/runs/${run}`,
    credential: { kind: 'secret_key', secretKey: TEST_SECRET_KEY },
    publicKey: TEST_PUBLIC_KEY,
    fetch: flakyFetch,
    sleep: sleep.sleep,
    random: () => 0.5,
    ...overrides,
  });
  return { client, delays: sleep.delays };
}

/** The JSON error body Checkout.com sends. */
export function ckoError(errorType: string, codes: string[] = [], requestId = 'req_flaky_0001') {
  return { request_id: requestId, error_type: errorType, error_codes: codes };
}
