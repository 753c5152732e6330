import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/catalog';
import { baseForHost, createCheckoutClient, parseBaseUrl } from '../../src/checkout';
import { attemptsOf, flakyFetch, scriptRun, TEST_SECRET_KEY } from './helpers';

describe('host routing', () => {
  const table: Array<[string, string, string, string]> = [
    // base, api, transfers, balances
    [
      'https://api.sandbox.checkout.com',
      'https://api.sandbox.checkout.com',
      'https://transfers.sandbox.checkout.com',
      'https://balances.sandbox.checkout.com',
    ],
    [
      'https://vkuhvk4v.api.sandbox.checkout.com/',
      'https://vkuhvk4v.api.sandbox.checkout.com',
      'https://transfers.sandbox.checkout.com',
      'https://balances.sandbox.checkout.com',
    ],
    [
      'https://api.checkout.com',
      'https://api.checkout.com',
      'https://transfers.checkout.com',
      'https://balances.checkout.com',
    ],
    [
      'https://pl-abc123.api.checkout.com',
      'https://pl-abc123.api.checkout.com',
      'https://transfers.checkout.com',
      'https://balances.checkout.com',
    ],
    ['http://127.0.0.1:8788', 'http://127.0.0.1:8788', 'http://127.0.0.1:8788', 'http://127.0.0.1:8788'],
    [
      'https://proxy.example.com/cko/',
      'https://proxy.example.com/cko',
      'https://proxy.example.com/cko',
      'https://proxy.example.com/cko',
    ],
    // Look-alikes are not Checkout.com: they serve everything themselves.
    [
      'https://api.checkout.com.evil.example',
      'https://api.checkout.com.evil.example',
      'https://api.checkout.com.evil.example',
      'https://api.checkout.com.evil.example',
    ],
  ];
  for (const [base, api, transfers, balances] of table) {
    it(`routes ${base}`, () => {
      expect(baseForHost(base, 'api')).toBe(api);
      expect(baseForHost(base, 'transfers')).toBe(transfers);
      expect(baseForHost(base, 'balances')).toBe(balances);
    });
  }

  it('knows the environment and account prefix', () => {
    expect(parseBaseUrl('https://abc123.api.sandbox.checkout.com')).toMatchObject({
      environment: 'sandbox',
      prefix: 'abc123',
    });
    expect(parseBaseUrl('https://api.checkout.com')).toMatchObject({
      environment: 'production',
      prefix: null,
    });
    expect(parseBaseUrl('http://127.0.0.1:8788')).toMatchObject({ environment: null });
  });

  it('refuses bases that are not usable', () => {
    expect(() => parseBaseUrl('not a url')).toThrow(TypeError);
    expect(() => parseBaseUrl('ftp://api.checkout.com')).toThrow(TypeError);
    expect(() => parseBaseUrl('http://api.checkout.com')).toThrow(/https/);
    expect(() => parseBaseUrl('https://api.checkout.com?x=1')).toThrow(TypeError);
    expect(() =>
      createCheckoutClient({
        baseUrl: 'nope',
        credential: { kind: 'secret_key', secretKey: TEST_SECRET_KEY },
      }),
    ).toThrow(/CHECKOUT_API_BASE/);
  });

  it('sends every catalog entry to its host on the real sandbox (seen on the wire)', async () => {
    const run = await scriptRun([{ status: 200, json: {} }]);
    const client = createCheckoutClient({
      baseUrl: 'https://abc123.api.sandbox.checkout.com',
      credential: { kind: 'secret_key', secretKey: TEST_SECRET_KEY },
      publicKey: 'pk_sbox_flakytestpublickeyaaaaaaaq',
      fetch: flakyFetch,
      sleep: async () => {},
    });
    for (const entry of CATALOG) {
      await client.send(entry, { params: { id: 'x_1' }, headers: { 'x-flaky-run': run } });
    }
    const seen = await attemptsOf(run);
    expect(seen).toHaveLength(CATALOG.length);
    CATALOG.forEach((entry, i) => {
      const url = new URL(seen[i]?.url ?? '');
      const expectedHost =
        entry.host === 'api' ? 'abc123.api.sandbox.checkout.com' : `${entry.host}.sandbox.checkout.com`;
      expect(url.host, entry.name).toBe(expectedHost);
      expect(url.protocol).toBe('https:');
      expect(seen[i]?.method).toBe(entry.method);
      expect(url.pathname).toBe(entry.path.replace('{id}', 'x_1'));
    });
  });

  it('encodes path parameters and query values', async () => {
    const run = await scriptRun([{ json: { data: [] } }]);
    const client = createCheckoutClient({
      baseUrl: `http://flaky.test/runs/${run}`,
      credential: { kind: 'secret_key', secretKey: TEST_SECRET_KEY },
      fetch: flakyFetch,
    });
    await client.send('getBalances', {
      params: { id: 'ent/../x y' },
      query: { query: 'currency:EUR', skip: undefined },
    });
    const url = new URL((await attemptsOf(run))[0]?.url ?? '');
    expect(url.pathname).toBe(`/runs/${run}/balances/ent%2F..%2Fx%20y`);
    expect(url.search).toBe('?query=currency%3AEUR');
  });

  it('refuses a call whose path parameter is missing, naming the call', async () => {
    const client = createCheckoutClient({
      baseUrl: 'http://flaky.test',
      credential: { kind: 'secret_key', secretKey: TEST_SECRET_KEY },
      fetch: flakyFetch,
    });
    await expect(client.send('getPayment')).rejects.toMatchObject({
      type: 'request_invalid',
      codes: ['path_parameter_missing'],
    });
    await expect(client.send('noSuchCall')).rejects.toThrow(/unknown Checkout.com call/);
  });
});
