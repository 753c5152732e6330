import { describe, expect, it } from 'vitest';
import {
  CheckoutConfigError,
  type CheckoutError,
  createCheckoutClient,
  type TokenSource,
} from '../../src/checkout';
import {
  attemptsOf,
  ckoError,
  clientFor,
  flakyFetch,
  scriptRun,
  TEST_PUBLIC_KEY,
  TEST_SECRET_KEY,
} from './helpers';

/** A token source over a fixed list of tokens, recording invalidations (the contract's behaviour). */
function tokenList(tokens: string[]): TokenSource & { invalidated: string[]; issued: number } {
  let current = 0;
  const source = {
    invalidated: [] as string[],
    issued: 0,
    async getToken() {
      source.issued++;
      return tokens[Math.min(current, tokens.length - 1)] as string;
    },
    async invalidate(token: string) {
      source.invalidated.push(token);
      if (tokens[current] === token) current++;
    },
  };
  return source;
}

describe('credentials', () => {
  it('sends the secret key as a Bearer token on catalog calls', async () => {
    const run = await scriptRun([{ json: { data: [] } }]);
    const { client } = clientFor(run);
    await client.call('listWorkflows');
    const [seen] = await attemptsOf(run);
    expect(seen?.headers.authorization).toBe(`Bearer ${TEST_SECRET_KEY}`);
    expect(seen?.headers.accept).toBe('application/json');
  });

  it('sends the public key, and only the public key, to POST /tokens', async () => {
    const run = await scriptRun([{ status: 201, json: { type: 'card', token: 'tok_x' } }]);
    const { client } = clientFor(run);
    await client.call('createToken', { body: { type: 'card', number: '4242424242424242' } });
    const [seen] = await attemptsOf(run);
    expect(seen?.url).toMatch(/\/tokens$/);
    expect(seen?.headers.authorization).toBe(`Bearer ${TEST_PUBLIC_KEY}`);
    expect(JSON.stringify(seen?.headers)).not.toContain(TEST_SECRET_KEY);
  });

  it('never sends the public key anywhere else', async () => {
    const run = await scriptRun([{ status: 201, json: {} }]);
    const { client } = clientFor(run);
    for (const name of ['createInstrument', 'createCustomer', 'requestPayment', 'createPaymentSession']) {
      await client.send(name, { body: {}, idempotencyKey: `k-${name}` });
    }
    const seen = await attemptsOf(run);
    expect(seen).toHaveLength(4);
    for (const a of seen) expect(a.headers.authorization).toBe(`Bearer ${TEST_SECRET_KEY}`);
  });

  it('refuses POST /tokens without a public key, before sending anything (no secret ever goes there)', async () => {
    const run = await scriptRun([{ status: 201, json: {} }]);
    const { client } = clientFor(run, { publicKey: undefined });
    const err = await client.send('createToken', { body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckoutConfigError);
    expect((err as CheckoutConfigError).code).toBe('public_key_missing');
    expect((err as CheckoutConfigError).status).toBe(500);
    expect(await attemptsOf(run)).toHaveLength(0);
  });

  it('refuses to be built with a secret key in the public-key setting, or a public key as the secret', () => {
    const base = { baseUrl: 'http://flaky.test', fetch: flakyFetch };
    expect(() =>
      createCheckoutClient({
        ...base,
        credential: { kind: 'secret_key', secretKey: TEST_SECRET_KEY },
        publicKey: TEST_SECRET_KEY,
      }),
    ).toThrow(CheckoutConfigError);
    expect(() =>
      createCheckoutClient({ ...base, credential: { kind: 'secret_key', secretKey: TEST_PUBLIC_KEY } }),
    ).toThrow(CheckoutConfigError);
    expect(() =>
      createCheckoutClient({ ...base, credential: { kind: 'secret_key', secretKey: '' } }),
    ).toThrow(CheckoutConfigError);
  });

  it('drops caller-supplied Authorization and idempotency headers, keeps other extra headers', async () => {
    const run = await scriptRun([{ json: {} }]);
    const { client } = clientFor(run);
    await client.send('getPayment', {
      params: { id: 'pay_1' },
      headers: { Authorization: 'Bearer stolen', 'Cko-Idempotency-Key': 'x', 'x-trace': 't1' },
    });
    const [seen] = await attemptsOf(run);
    expect(seen?.headers.authorization).toBe(`Bearer ${TEST_SECRET_KEY}`);
    expect(seen?.headers['cko-idempotency-key']).toBeUndefined();
    expect(seen?.headers['x-trace']).toBe('t1');
  });
});

describe('OAuth', () => {
  it('sends the token as Bearer; on a 401 invalidates it and retries once with a fresh token', async () => {
    const run = await scriptRun([{ status: 401 }, { json: { id: 'pay_1' } }]);
    const tokens = tokenList(['eyJ.old.token', 'eyJ.new.token']);
    const { client, delays } = clientFor(run, { credential: { kind: 'oauth', tokens } });
    const res = await client.call('getPayment', { params: { id: 'pay_1' } });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(tokens.invalidated).toEqual(['eyJ.old.token']);
    expect((await attemptsOf(run)).map((a) => a.headers.authorization)).toEqual([
      'Bearer eyJ.old.token',
      'Bearer eyJ.new.token',
    ]);
    // The refresh retry does not back off.
    expect(delays).toEqual([]);
  });

  it('refreshes at most once: a second 401 is the answer', async () => {
    const run = await scriptRun([{ status: 401 }]);
    const tokens = tokenList(['t1', 't2', 't3']);
    const { client } = clientFor(run, { credential: { kind: 'oauth', tokens } });
    const err = (await client
      .call('getPayment', { params: { id: 'pay_1' } })
      .catch((e: unknown) => e)) as CheckoutError;
    expect(err.code).toBe('unauthorized');
    expect(err.attempts).toBe(2);
    expect(tokens.invalidated).toEqual(['t1']);
    expect(await attemptsOf(run)).toHaveLength(2);
  });

  it('refreshes a 401 even on a keyless write (nothing was processed), without spending a retry', async () => {
    const run = await scriptRun([{ status: 401 }, { status: 500 }, { status: 201, json: { id: 'cus_1' } }]);
    const tokens = tokenList(['t1', 't2']);
    const { client } = clientFor(run, { credential: { kind: 'oauth', tokens }, retry: { maxAttempts: 2 } });
    const err = (await client
      .send('createCustomer', { body: { email: 'a@example.com' } })
      .catch((e: unknown) => e)) as CheckoutError;
    // 401 → refresh → 500: a keyless write is not retried after a 500, whose outcome is unknown.
    expect(err.code).toBe('outcome_unknown');
    expect(err.attempts).toBe(2);
    expect(await attemptsOf(run)).toHaveLength(2);
  });

  it('still uses the public key, not the OAuth token, for POST /tokens', async () => {
    const run = await scriptRun([{ status: 201, json: {} }]);
    const tokens = tokenList(['eyJ.oauth.token']);
    const { client } = clientFor(run, { credential: { kind: 'oauth', tokens } });
    await client.call('createToken', { body: {} });
    expect((await attemptsOf(run))[0]?.headers.authorization).toBe(`Bearer ${TEST_PUBLIC_KEY}`);
    expect(tokens.issued).toBe(0);
  });

  it('does not refresh on a 401 from POST /tokens (the public key is not an OAuth token)', async () => {
    const run = await scriptRun([{ status: 401, json: ckoError('authentication_error') }]);
    const tokens = tokenList(['t1']);
    const { client } = clientFor(run, { credential: { kind: 'oauth', tokens } });
    const res = await client.send('createToken', { body: {} });
    expect(res.status).toBe(401);
    expect(res.attempts).toBe(1);
    expect(tokens.invalidated).toEqual([]);
  });
});
