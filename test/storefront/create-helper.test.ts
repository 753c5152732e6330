import { describe, expect, it } from 'vitest';
import {
  type CreateOptions,
  createPaymentLink,
  createPaymentSession,
  newIdempotencyKey,
  StorefrontError,
} from '../../src/browser/tokenize';
import { caller, linkBody, openMode, sessionBody } from './helpers';

/**
 * The browser helper's creates (`createPaymentSession`, `createPaymentLink`) against the whole Bollard app
 * and the simulator: one `Idempotency-Key` per attempt, kept across the helper's own retries — also when
 * the retry leaves from another address — so a lost answer never becomes a second session or link.
 */
interface Sent {
  key: string | null;
  client: string;
}

/**
 * A `fetch` into Bollard that changes client address on every request (Wi-Fi, then mobile data, …) and
 * loses the answers of the requests listed in `lose` (1-based) after Bollard has handled them.
 */
function network(lose: number[] = []): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const call = caller(openMode);
    sent.push({ key: new Headers(init?.headers).get('idempotency-key'), client: call.client });
    const res = await call(url.pathname, init);
    if (lose.includes(sent.length)) {
      await res.arrayBuffer();
      throw new TypeError('Failed to fetch');
    }
    return res;
  };
  return { fetch: impl as typeof fetch, sent };
}

const options = (doFetch: typeof fetch, extra: CreateOptions = {}): CreateOptions => ({
  baseUrl: 'http://bollard.test',
  fetch: doFetch,
  sleep: async () => {},
  ...extra,
});

describe('createPaymentSession / createPaymentLink', () => {
  it('retries a lost answer with the same key from another address, and gets the one link', async () => {
    const net = network([1]);
    const created = await createPaymentLink<{ id: string }>(
      linkBody({ amount: 1500, currency: 'GBP' }),
      options(net.fetch),
    );
    expect(net.sent).toHaveLength(2);
    expect(net.sent[0]?.key).toMatch(/^[0-9a-f]{32}$/);
    expect(net.sent[1]?.key).toBe(net.sent[0]?.key);
    expect(net.sent[1]?.client).not.toBe(net.sent[0]?.client);
    expect(created).toMatchObject({ idempotencyKey: net.sent[0]?.key, replayed: true });
    expect(created.body.id).toMatch(/^pl_/);
  });

  it('uses the key it is given, so a page can retry a failed attempt itself', async () => {
    const key = newIdempotencyKey();
    const body = sessionBody({ amount: 1500, currency: 'GBP' });
    const first = await createPaymentSession<{ id: string }>(
      body,
      options(network().fetch, { idempotencyKey: key }),
    );
    const again = await createPaymentSession<{ id: string }>(
      body,
      options(network().fetch, { idempotencyKey: key }),
    );
    expect(first.idempotencyKey).toBe(key);
    expect(again).toMatchObject({ idempotencyKey: key, replayed: true });
    expect(again.body.id).toBe(first.body.id);
  });

  it('gives up after its retries with the attempt’s key, and never retries a refusal', async () => {
    const lost = network([1, 2, 3]);
    const err = await createPaymentLink(
      linkBody({ amount: 1500, currency: 'GBP' }),
      options(lost.fetch),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorefrontError);
    expect(err).toMatchObject({ status: 0, errorType: 'network_error', idempotencyKey: lost.sent[0]?.key });
    expect(lost.sent).toHaveLength(3);
    expect(new Set(lost.sent.map((s) => s.key)).size).toBe(1);

    const refused = network();
    const bad = await createPaymentSession(
      sessionBody({ amount: 1, currency: 'GBP' }),
      options(refused.fetch),
    ).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 422, errorType: 'request_invalid', codes: ['amount_out_of_range'] });
    expect(refused.sent).toHaveLength(1);
  });
});
