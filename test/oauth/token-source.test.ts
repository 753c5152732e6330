import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { listEntries } from '../../src/catalog';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import {
  DEFAULT_TIMING,
  effectiveSkew,
  KvTokenSource,
  type KvTokenSourceOptions,
  OAuthTokenError,
  refresherFor,
  tokenScopes,
  tokenUrlFor,
} from '../../src/oauth';
import { SIM_BASE, simConfig, simFetcher, simReset, simStats, tokenEndpointHits } from './sim-control';

const PAYMENT_SCOPES = tokenScopes(listEntries({ area: 'payments' }));

/** A controllable clock: tests move time forward instead of waiting. */
function clock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

/** A background-task collector standing in for `ctx.waitUntil`, so tests can await refreshes. */
function tasks() {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    settle: async () => {
      while (pending.length > 0) await Promise.allSettled(pending.splice(0));
    },
  };
}

/** A separate token source = a separate isolate: its own memory, the shared KV and refresher. */
function source(overrides: Partial<KvTokenSourceOptions> = {}): KvTokenSource {
  return new KvTokenSource({
    clientId: DEV_CREDENTIALS.oauthClientId,
    clientSecret: DEV_CREDENTIALS.oauthClientSecret,
    scopes: PAYMENT_SCOPES,
    tokenUrl: tokenUrlFor(SIM_BASE),
    kv: env.OAUTH_TOKENS,
    refresher: (key) => refresherFor(env, key),
    ...overrides,
  });
}

afterEach(async () => {
  await simReset();
  await reset();
});

describe('OAuth token source', () => {
  it('serves 200 concurrent cold-cache calls across 8 isolates with exactly 1 token request', async () => {
    const before = await simStats();
    const isolates = Array.from({ length: 8 }, () => source());
    const calls = isolates.flatMap((s) => Array.from({ length: 25 }, () => s.getToken()));
    const tokens = await Promise.all(calls);
    const after = await simStats();

    expect(tokens).toHaveLength(200);
    expect(new Set(tokens).size).toBe(1);
    expect(tokenEndpointHits(after) - tokenEndpointHits(before)).toBe(1);
    expect(after.tokens_issued - before.tokens_issued).toBe(1);

    // The token works against the API with the scopes the enabled entries need.
    const res = await simFetcher().fetch(`${SIM_BASE}/payments`, {
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    expect(res.status).not.toBe(401);
    expect(res.status).not.toBe(403);
  });

  it('makes exactly 2 token requests for 10,000 calls spanning two token lifetimes', async () => {
    const lifetimeSeconds = 600;
    await simConfig({ token_ttl_seconds: lifetimeSeconds });
    const before = await simStats();
    const time = clock();
    const start = time.now();
    const bg = tasks();
    const isolates = Array.from({ length: 4 }, () => source({ now: time.now, waitUntil: bg.waitUntil }));
    // 10,000 calls evenly over 1.5 lifetimes: the first token's life and the second's, which is fetched
    // in the background at 80% of the first (the third would be due at 1.6 lifetimes).
    const span = 1.5 * lifetimeSeconds * 1000;
    const seen = new Map<string, { first: number; last: number }>();
    for (let i = 0; i < 10_000; i++) {
      time.set(start + Math.floor((span * i) / 10_000));
      const token = await (isolates[i % 4] as KvTokenSource).getToken();
      const s = seen.get(token) ?? { first: time.now(), last: time.now() };
      s.last = time.now();
      seen.set(token, s);
      // Let background refreshes progress the way a real event loop would between requests.
      if (i % 50 === 0) await bg.settle();
    }
    await bg.settle();
    const after = await simStats();

    expect(tokenEndpointHits(after) - tokenEndpointHits(before)).toBe(2);
    expect(after.tokens_issued - before.tokens_issued).toBe(2);
    expect(seen.size).toBe(2);
    // The first token was replaced before its hard skew, not after.
    const [first] = [...seen.values()];
    const lifetime = lifetimeSeconds * 1000;
    const skew = effectiveSkew({
      token: 'x',
      expiresAt: lifetime,
      refreshAt: lifetime * DEFAULT_TIMING.refreshFraction,
    });
    expect((first?.last ?? Number.POSITIVE_INFINITY) - start).toBeLessThan(lifetime - skew);
  });

  it('keeps only the token and its timing in KV, with a TTL from the lifetime', async () => {
    const s = source();
    const token = await s.getToken();
    const key = await s.cacheKey();
    const stored = await env.OAUTH_TOKENS.get<Record<string, unknown>>(key, 'json');
    expect(Object.keys(stored ?? {}).sort()).toEqual(['expiresAt', 'refreshAt', 'token']);
    expect(stored?.token).toBe(token);
    const raw = (await env.OAUTH_TOKENS.get(key)) ?? '';
    expect(raw).not.toContain(DEV_CREDENTIALS.oauthClientSecret);
    expect(raw).not.toContain(DEV_CREDENTIALS.oauthClientId);
    const listed = await env.OAUTH_TOKENS.list({ prefix: 'oauth:v1:' });
    const expiration = listed.keys.find((k) => k.name === key)?.expiration ?? 0;
    // Default simulator lifetime is 4 h; KV expiry follows it (to the second).
    expect(Math.abs(expiration - (Date.now() / 1000 + 14_400))).toBeLessThan(60);
  });

  it('reads a token another isolate cached in KV without asking the refresher', async () => {
    await source().getToken();
    const before = await simStats();
    const other = source();
    await other.getToken();
    const after = await simStats();
    expect(tokenEndpointHits(after)).toBe(tokenEndpointHits(before));
  });

  it('invalidates a rejected token everywhere and fetches a new one once', async () => {
    const a = source();
    const b = source();
    const old = await a.getToken();
    expect(await b.getToken()).toBe(old);
    const before = await simStats();

    await a.invalidate(old);
    // A second isolate reporting the same token (its own 401) must not cause another fetch.
    await b.invalidate(old);
    const [fresh1, fresh2, fresh3] = await Promise.all([a.getToken(), b.getToken(), source().getToken()]);
    const after = await simStats();

    expect(fresh1).not.toBe(old);
    expect(fresh2).toBe(fresh1);
    expect(fresh3).toBe(fresh1);
    expect(tokenEndpointHits(after) - tokenEndpointHits(before)).toBe(1);
    // Invalidating a token that is no longer current changes nothing.
    await a.invalidate(old);
    expect(await source().getToken()).toBe(fresh1);
  });

  it('fails fast with typed errors and backs off a broken credential (1 s, 2 s, ...)', async () => {
    const time = clock();
    const broken = () => source({ clientSecret: 'not-the-secret', now: time.now });
    const before = await simStats();
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++)
      errors.push(
        await broken()
          .getToken()
          .catch((e: unknown) => e),
      );
    errors.push(
      ...(await Promise.all(
        Array.from({ length: 20 }, () =>
          broken()
            .getToken()
            .catch((e: unknown) => e),
        ),
      )),
    );
    const mid = await simStats();

    expect(tokenEndpointHits(mid) - tokenEndpointHits(before)).toBe(1);
    expect(mid.tokens_issued).toBe(before.tokens_issued);
    for (const e of errors) {
      expect(e).toBeInstanceOf(OAuthTokenError);
      expect((e as OAuthTokenError).reason).toBe('invalid_client');
      expect((e as OAuthTokenError).status).toBe(502);
      expect((e as OAuthTokenError).codes).toEqual(['oauth_invalid_client']);
      expect((e as OAuthTokenError).message).not.toContain('not-the-secret');
      expect((e as OAuthTokenError).retryAfter).toBeGreaterThanOrEqual(1);
    }

    time.advance(1_000); // first backoff (1 s) over: one more attempt, then 2 s of quiet
    await broken()
      .getToken()
      .catch(() => undefined);
    time.advance(1_500);
    await broken()
      .getToken()
      .catch(() => undefined);
    const late = await simStats();
    expect(tokenEndpointHits(late) - tokenEndpointHits(before)).toBe(2);
    time.advance(600);
    await broken()
      .getToken()
      .catch(() => undefined);
    expect(tokenEndpointHits(await simStats()) - tokenEndpointHits(before)).toBe(3);

    // The right secret is not held back by the wrong one's backoff.
    const ok = await source({ now: time.now }).getToken();
    expect(ok.length).toBeGreaterThan(0);
  });

  it('backs off when the API keeps rejecting freshly issued tokens (e.g. the wrong environment)', async () => {
    const time = clock();
    const s = source({ now: time.now });
    const before = await simStats();
    await s.invalidate(await s.getToken());
    // One quick rejection is a revoked token: a new one is fetched at once.
    const second = await s.getToken();
    await s.invalidate(second);
    // Two in a row: every new token would be rejected too. Fail fast instead of a token request per call.
    const errors = await Promise.all(
      Array.from({ length: 10 }, () =>
        source({ now: time.now })
          .getToken()
          .catch((e: unknown) => e),
      ),
    );
    expect(tokenEndpointHits(await simStats()) - tokenEndpointHits(before)).toBe(2);
    for (const e of errors) {
      expect(e).toBeInstanceOf(OAuthTokenError);
      expect((e as OAuthTokenError).reason).toBe('token_rejected');
      expect((e as OAuthTokenError).codes).toEqual(['oauth_token_rejected']);
    }
    time.advance(1_000);
    expect((await source({ now: time.now }).getToken()).length).toBeGreaterThan(0);
    expect(tokenEndpointHits(await simStats()) - tokenEndpointHits(before)).toBe(3);
  });

  it('reports a scope the client may not have as invalid_scope', async () => {
    const err = await source({ scopes: ['issuing:client'] })
      .getToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthTokenError);
    expect((err as OAuthTokenError).reason).toBe('invalid_scope');
  });
});
