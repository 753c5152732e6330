import { describe, expect, it } from 'vitest';
import { BadKeyLimiter } from '../../../src/agents/gateway/bad-key-limit';
import { attemptMethod, attemptSource } from '../../../src/agents/model/attempts';
import { badKeyLimitPerMinute, DEFAULT_BAD_KEY_LIMIT_PER_MINUTE } from '../../../src/agents/model/retention';

describe('bad-key attempts: sources and the per-source limit', () => {
  it('counts an IPv4 address as is, an IPv6 address by its /64, and never trusts the header to be an address', () => {
    expect(attemptSource('198.51.100.7')).toBe('198.51.100.7');
    expect(attemptSource(' 198.51.100.7 ')).toBe('198.51.100.7');
    expect(attemptSource('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(attemptSource('2001:DB8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(attemptSource('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(attemptSource('::1')).toBe('0:0:0:0::/64');
    expect(attemptSource('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(attemptSource('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(attemptSource(undefined)).toBe('unknown');
    expect(attemptSource('')).toBe('unknown');
    for (const bad of [
      '256.1.1.1',
      '1.2.3',
      '2001:db8::1::2',
      '1:2:3:4:5:6:7:8:9',
      'bak_x',
      'x'.repeat(100),
      '12345::',
    ])
      expect(attemptSource(bad)).toBe('invalid');
  });

  it('keeps methods to a closed set', () => {
    expect(attemptMethod('get')).toBe('GET');
    expect(attemptMethod('PROPFIND')).toBe('OTHER');
  });

  it('refuses a source past its limit until its minute ends; a trusted key passes; a 401 ends the trust', () => {
    const limiter = new BadKeyLimiter(3);
    const minute = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
    const at = minute + 15_000;
    for (let i = 0; i < 29; i++) limiter.fail('a', 30, at);
    expect(limiter.retryAfter('a', 30, at)).toBe(0);
    expect(limiter.fail('a', 30, at)).toBe(true); // the 30th: log once
    expect(limiter.fail('a', 30, at)).toBe(false);
    expect(limiter.retryAfter('a', 30, at)).toBe(45);
    expect(limiter.retryAfter('a', 30, minute + 59_500)).toBe(1);
    expect(limiter.retryAfter('a', 30, minute + 60_000)).toBe(0);
    expect(limiter.retryAfter('b', 30, at)).toBe(0);
    expect(limiter.retryAfter('a', 0, at)).toBe(0);
    limiter.trust('k1', at);
    expect(limiter.isTrusted('k1', at + 599_000)).toBe(true);
    expect(limiter.isTrusted('k1', at + 600_001)).toBe(false);
    limiter.distrust('k1');
    expect(limiter.isTrusted('k1', at)).toBe(false);
    // Bounded memory: the least recently seen are forgotten first.
    for (const s of ['b', 'c', 'd']) limiter.fail(s, 30, at);
    expect(limiter.retryAfter('a', 30, at)).toBe(0);
  });

  it('reads AGENT_BAD_KEY_LIMIT_PER_MINUTE, 30 by default, 0 for none', () => {
    expect(badKeyLimitPerMinute({} as Env)).toBe(DEFAULT_BAD_KEY_LIMIT_PER_MINUTE);
    expect(badKeyLimitPerMinute({ AGENT_BAD_KEY_LIMIT_PER_MINUTE: '5' } as unknown as Env)).toBe(5);
    expect(badKeyLimitPerMinute({ AGENT_BAD_KEY_LIMIT_PER_MINUTE: '0' } as unknown as Env)).toBe(0);
    expect(badKeyLimitPerMinute({ AGENT_BAD_KEY_LIMIT_PER_MINUTE: 'lots' } as unknown as Env)).toBe(30);
  });
});
