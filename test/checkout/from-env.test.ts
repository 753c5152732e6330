import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CheckoutConfigError, checkoutClientFor, type TokenSource } from '../../src/checkout';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { attemptsOf, flakyFetch, scriptRun } from './helpers';

async function authorizationSeen(
  surface: 'storefront' | 'webhooks' | 'agents' | 'admin',
  overrides: Partial<Env>,
  extras: { tokens?: TokenSource } = {},
): Promise<string | undefined> {
  const run = await scriptRun([{ json: { data: [] } }]);
  const client = checkoutClientFor(
    { ...env, CHECKOUT_API_BASE: `http://flaky.test/runs/${run}`, ...overrides },
    surface,
    {
      fetch: flakyFetch,
      ...extras,
    },
  );
  await client.call('listWorkflows');
  return (await attemptsOf(run))[0]?.headers.authorization;
}

describe('checkoutClientFor', () => {
  it('gives the storefront its least-privilege key when one is set', async () => {
    expect(await authorizationSeen('storefront', {})).toBe(`Bearer ${DEV_CREDENTIALS.storefrontSecretKey}`);
  });

  it('falls back to the main secret key for the storefront, and uses it for every other surface', async () => {
    expect(await authorizationSeen('storefront', { CHECKOUT_STOREFRONT_SECRET_KEY: '' })).toBe(
      `Bearer ${DEV_CREDENTIALS.secretKey}`,
    );
    for (const surface of ['webhooks', 'agents', 'admin'] as const) {
      expect(await authorizationSeen(surface, {})).toBe(`Bearer ${DEV_CREDENTIALS.secretKey}`);
    }
  });

  it('uses the given token source when CHECKOUT_AUTH is oauth', async () => {
    const tokens: TokenSource = { getToken: async () => 'eyJ.from.source', invalidate: async () => {} };
    expect(await authorizationSeen('agents', { CHECKOUT_AUTH: 'oauth' }, { tokens })).toBe(
      'Bearer eyJ.from.source',
    );
  });

  it('fails clearly when OAuth is configured without a token source, or the mode is unknown', () => {
    const oauth = () =>
      checkoutClientFor({ ...env, CHECKOUT_AUTH: 'oauth', CHECKOUT_OAUTH_CLIENT_SECRET: '' }, 'agents');
    expect(oauth).toThrow(CheckoutConfigError);
    expect(oauth).toThrow(/token source/);
    expect(() => checkoutClientFor({ ...env, CHECKOUT_AUTH: 'basic' }, 'agents')).toThrow(/CHECKOUT_AUTH/);
    expect(() => checkoutClientFor({ ...env, CHECKOUT_SECRET_KEY: '' }, 'agents')).toThrow(
      /CHECKOUT_SECRET_KEY/,
    );
  });
});
