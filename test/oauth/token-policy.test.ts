import { describe, expect, it } from 'vitest';
import { CATALOG, listEntries } from '../../src/catalog';
import {
  backoffMs,
  DEFAULT_TIMING,
  effectiveSkew,
  isDueForRefresh,
  isUsable,
  kvTtlSeconds,
  parseCachedToken,
  secretFingerprint,
  tokenCacheKey,
  tokenFrom,
  tokenScopes,
  tokenUrlFor,
} from '../../src/oauth';

describe('token timing', () => {
  const t0 = 1_700_000_000_000;
  const hour = tokenFrom('tok', 3600, t0);

  it('refreshes at 80% of the lifetime and expires at the end of it', () => {
    expect(hour.refreshAt).toBe(t0 + 2_880_000);
    expect(hour.expiresAt).toBe(t0 + 3_600_000);
    expect(isDueForRefresh(hour, t0 + 2_879_999)).toBe(false);
    expect(isDueForRefresh(hour, t0 + 2_880_000)).toBe(true);
  });

  it('never hands out a token within the skew of its expiry', () => {
    expect(isUsable(hour, t0 + 3_600_000 - DEFAULT_TIMING.skewMs - 1)).toBe(true);
    expect(isUsable(hour, t0 + 3_600_000 - DEFAULT_TIMING.skewMs)).toBe(false);
    expect(isUsable(hour, t0 + 3_600_000)).toBe(false);
  });

  it('shrinks the skew for short lifetimes so the token lives until its refresh', () => {
    const short = tokenFrom('tok', 60, t0);
    expect(effectiveSkew(short)).toBe(6_000);
    expect(isUsable(short, short.refreshAt)).toBe(true);
    expect(isUsable(short, short.expiresAt - 6_000)).toBe(false);
  });

  it('keeps tokens in KV until expiry but never below the 60 s KV minimum', () => {
    expect(kvTtlSeconds(hour, t0)).toBe(3600);
    expect(kvTtlSeconds(hour, t0 + 3_590_000)).toBe(60);
    expect(kvTtlSeconds(tokenFrom('tok', 5, t0), t0)).toBe(60);
  });

  it('backs off exponentially from 1 s to 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffMs(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('parses only well-formed cached tokens', () => {
    expect(parseCachedToken({ token: 'a', expiresAt: 2, refreshAt: 1 })).toEqual({
      token: 'a',
      expiresAt: 2,
      refreshAt: 1,
    });
    expect(parseCachedToken({ token: '', expiresAt: 2, refreshAt: 1 })).toBeNull();
    expect(parseCachedToken({ token: 'a', expiresAt: '2', refreshAt: 1 })).toBeNull();
    expect(parseCachedToken(null)).toBeNull();
  });
});

describe('token endpoint and scopes', () => {
  it('derives the access host from the API host (facts §1)', () => {
    expect(tokenUrlFor('https://api.sandbox.checkout.com')).toBe(
      'https://access.sandbox.checkout.com/connect/token',
    );
    expect(tokenUrlFor('https://api.checkout.com')).toBe('https://access.checkout.com/connect/token');
    expect(tokenUrlFor('https://vkuhvk4v.api.sandbox.checkout.com')).toBe(
      'https://vkuhvk4v.access.sandbox.checkout.com/connect/token',
    );
    expect(tokenUrlFor('https://pl-abc1.api.checkout.com/')).toBe(
      'https://pl-abc1.access.checkout.com/connect/token',
    );
    expect(tokenUrlFor('http://127.0.0.1:8788')).toBe('http://127.0.0.1:8788/connect/token');
    expect(tokenUrlFor('http://127.0.0.1:8788/prefix/')).toBe('http://127.0.0.1:8788/prefix/connect/token');
  });

  it('requests the least scopes the enabled entries need, never the blanket gateway', () => {
    const payments = listEntries({ area: 'payments' });
    const scopes = tokenScopes(payments);
    expect(scopes).not.toContain('gateway');
    expect(scopes).toEqual([...scopes].sort());
    expect(scopes).toContain('gateway:payment');
    expect(tokenScopes(CATALOG)).toContain('flow:workflows');
  });

  it('uses explicitly configured scopes when given', () => {
    expect(tokenScopes(CATALOG, 'gateway')).toEqual(['gateway']);
    expect(tokenScopes(CATALOG, ' vault, gateway  gateway ')).toEqual(['gateway', 'vault']);
    expect(tokenScopes(listEntries({ area: 'disputes' }), '  ')).toEqual(
      tokenScopes(listEntries({ area: 'disputes' })),
    );
  });

  it('keys the cache by client id and scope set, whatever the order', async () => {
    const a = await tokenCacheKey('ack_x', ['b', 'a']);
    expect(a).toBe(await tokenCacheKey('ack_x', ['a', 'b', 'a']));
    expect(a).not.toBe(await tokenCacheKey('ack_x', ['a']));
    expect(a).not.toBe(await tokenCacheKey('ack_y', ['a', 'b']));
    expect(a.startsWith('oauth:v1:ack_x:')).toBe(true);
  });

  it('fingerprints secrets without revealing them', async () => {
    const f = await secretFingerprint('ack_x', 'secret-one');
    expect(f).toMatch(/^[0-9a-f]{16}$/);
    expect(f).not.toBe(await secretFingerprint('ack_x', 'secret-two'));
    expect(f).not.toContain('secret');
  });
});
