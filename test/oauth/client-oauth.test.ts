import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { checkoutClientFor } from '../../src/checkout';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { tokenCacheKey } from '../../src/oauth';
import { simConfig, simReset, simStats, tokenEndpointHits } from './sim-control';

const UNKNOWN_PAYMENT = 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa';

afterEach(async () => {
  await simReset();
  await reset();
});

describe('checkoutClientFor with CHECKOUT_AUTH=oauth', () => {
  it('calls with a least-privilege token, and on a 401 invalidates it and retries once with a new one', async () => {
    const oauthEnv: Env = { ...env, CHECKOUT_AUTH: 'oauth' };
    const pending: Promise<unknown>[] = [];
    const client = checkoutClientFor(oauthEnv, 'storefront', { waitUntil: (p) => void pending.push(p) });
    const before = await simStats();

    const first = await client.send('getPayment', { params: { id: UNKNOWN_PAYMENT } });
    expect(first.status).toBe(404);
    expect(first.attempts).toBe(1);
    const afterFirst = await simStats();
    expect(tokenEndpointHits(afterFirst) - tokenEndpointHits(before)).toBe(1);

    // The storefront's token carries only what its catalog rows need, and is cached under that scope set.
    const key = await tokenCacheKey(DEV_CREDENTIALS.oauthClientId, [
      'gateway:payment',
      'gateway:payment-details',
    ]);
    const cached = await env.OAUTH_TOKENS.get<{ token: string }>(key, 'json');
    expect(cached?.token).toBeTypeOf('string');
    const oldToken = cached?.token;

    // The simulator's clock jumps past the token's life: the API now answers 401 to it.
    await simConfig({ advance_clock_ms: 5 * 3600 * 1000 });
    const second = await client.send('getPayment', { params: { id: UNKNOWN_PAYMENT } });
    await Promise.allSettled(pending);
    const afterSecond = await simStats();

    expect(second.status).toBe(404);
    expect(second.attempts).toBe(2);
    expect(tokenEndpointHits(afterSecond) - tokenEndpointHits(afterFirst)).toBe(1);
    expect(afterSecond.responses_by_status?.['401'] ?? 0).toBeGreaterThanOrEqual(1);
    const replaced = await env.OAUTH_TOKENS.get<{ token: string }>(key, 'json');
    expect(replaced?.token).toBeTypeOf('string');
    expect(replaced?.token).not.toBe(oldToken);

    // Every isolate now gets the new token (the old one is gone from KV and the refresher).
    const third = await checkoutClientFor(oauthEnv, 'storefront').send('getPayment', {
      params: { id: UNKNOWN_PAYMENT },
    });
    expect(third.attempts).toBe(1);
    expect(tokenEndpointHits(await simStats())).toBe(tokenEndpointHits(afterSecond));
  });
});
