import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { KvTokenSource, type KvTokenSourceOptions, OAuthTokenError, TokenMemory } from '../../src/oauth';
import type { OAuthTokenRefresher } from '../../src/oauth/refresher-do';

/** A refresher whose object never answers: a Durable Object stuck or unreachable. */
const hungRefresher: KvTokenSourceOptions['refresher'] = () =>
  ({
    getToken: () => new Promise(() => {}),
    invalidate: () => new Promise(() => {}),
  }) as unknown as DurableObjectStub<OAuthTokenRefresher>;

function hungSource(memory: TokenMemory): KvTokenSource {
  return new KvTokenSource({
    clientId: DEV_CREDENTIALS.oauthClientId,
    clientSecret: DEV_CREDENTIALS.oauthClientSecret,
    scopes: ['gateway'],
    tokenUrl: 'http://127.0.0.1:1/connect/token',
    kv: env.OAUTH_TOKENS,
    refresher: hungRefresher,
    memory,
    loadTimeoutMs: 200,
  });
}

describe('every wait for a token has a bound', () => {
  it('a load that never finishes fails as oauth_timeout (transient) for its caller and for callers waiting on it', async () => {
    const memory = new TokenMemory();
    const started = Date.now();
    const results = await Promise.allSettled([hungSource(memory).getToken(), hungSource(memory).getToken()]);
    expect(Date.now() - started).toBeLessThan(1_500);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = r.status === 'rejected' ? r.reason : null;
      expect(reason).toBeInstanceOf(OAuthTokenError);
      expect(reason).toMatchObject({
        reason: 'timeout',
        type: 'upstream_unavailable',
        codes: ['oauth_timeout'],
      });
    }
    // The stuck load no longer blocks the isolate: the next caller starts its own, bounded again.
    expect(memory.loading).toBeNull();
  });

  it('invalidating a token waits no longer than the bound either', async () => {
    const started = Date.now();
    await expect(hungSource(new TokenMemory()).invalidate('tok')).rejects.toMatchObject({
      reason: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
