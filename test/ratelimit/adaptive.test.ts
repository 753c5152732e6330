import { describe, expect, it } from 'vitest';
import {
  admittedRate,
  applyOverrides,
  currentFactor,
  DEFAULT_SETTINGS,
  freshAdaptive,
  type GovernorSettings,
  permitsNow,
  settingsFromEnv,
  throttled,
  windowMs,
} from '../../src/ratelimit';

const settings: GovernorSettings = { ...DEFAULT_SETTINGS, writesPerSecond: 100, readsPerSecond: 50 };

describe('the window', () => {
  for (const limit of [1, 2, 5, 20, 33, 40, 100, 0.5]) {
    it(`at ${limit}/s admits at most the limit in any second, and one call a second below it over time`, () => {
      const s: GovernorSettings = { ...DEFAULT_SETTINGS, writesPerSecond: limit };
      const w = windowMs(s, 'write');
      const permits = permitsNow(freshAdaptive(), s, 'write', 0);
      // At most `permits` calls in any window, and a window is never shorter than a second.
      expect(w).toBeGreaterThanOrEqual(1000);
      expect(permits).toBeLessThanOrEqual(Math.max(1, limit));
      const rate = admittedRate(freshAdaptive(), s, 'write', 0);
      expect(rate).toBeLessThanOrEqual(limit * s.utilization + 1e-9);
      if (limit >= 2) expect(rate).toBeLessThanOrEqual(limit - 1 + 1e-9);
    });
  }

  it('leaves ~31 ms of each window for jitter at the default 97%', () => {
    expect(windowMs(settings, 'write')).toBeCloseTo(1000 / 0.97, 6);
    expect(admittedRate(freshAdaptive(), settings, 'write', 0)).toBeCloseTo(97, 6);
  });
});

describe('adaptive budget', () => {
  it('drops to 70% on a 429, once per episode, holds, then recovers additively', () => {
    const t0 = 100_000;
    let state = throttled(freshAdaptive(), settings, t0, undefined);
    expect(currentFactor(state, settings, t0)).toBeCloseTo(0.7);
    expect(permitsNow(state, settings, 'write', t0)).toBe(70);

    // More 429s from the same overshoot (within the cooldown) are the same signal.
    state = throttled(state, settings, t0 + 500, undefined);
    expect(currentFactor(state, settings, t0 + 500)).toBeCloseTo(0.7);

    // Holds for holdMs, then +5% of the configured rate per second, back to 100% after 6 s more.
    expect(currentFactor(state, settings, t0 + settings.holdMs)).toBeCloseTo(0.7);
    expect(currentFactor(state, settings, t0 + settings.holdMs + 2_000)).toBeCloseTo(0.8);
    expect(currentFactor(state, settings, t0 + settings.holdMs + 6_000)).toBeCloseTo(1);
    expect(currentFactor(state, settings, t0 + settings.holdMs + 60_000)).toBe(1);
  });

  it('compounds repeated episodes down to the floor, never below one permit', () => {
    let state = freshAdaptive();
    let t = 0;
    for (let i = 0; i < 20; i++) {
      state = throttled(state, settings, t, undefined);
      t += settings.cooldownMs;
    }
    expect(currentFactor(state, settings, t)).toBeCloseTo(settings.minFactor);
    const second = throttled(throttled(freshAdaptive(), settings, 0, undefined), settings, 1_000, undefined);
    expect(currentFactor(second, settings, 1_000)).toBeCloseTo(0.49);
    const tiny = { ...settings, writesPerSecond: 2 };
    expect(permitsNow(state, tiny, 'write', t)).toBe(1);
  });

  it('pauses the class for an upstream Retry-After, capped', () => {
    expect(throttled(freshAdaptive(), settings, 1_000, 3).pausedUntil).toBe(4_000);
    expect(throttled(freshAdaptive(), settings, 0, 3600).pausedUntil).toBe(settings.maxPauseMs);
  });
});

describe('settings', () => {
  it('reads the RATE_LIMIT_* vars and keeps defaults for bad values', () => {
    const s = settingsFromEnv({
      RATE_LIMIT_READS_PER_SECOND: '40',
      RATE_LIMIT_WRITES_PER_SECOND: 'lots',
      RATE_LIMIT_MAX_WAIT_MS: '-5',
    });
    expect(s.readsPerSecond).toBe(40);
    expect(s.writesPerSecond).toBe(100);
    expect(s.maxWaitMs).toBe(200);
  });

  it('applies overrides, ignores retired knobs, and names the bad field', () => {
    const ok = applyOverrides(DEFAULT_SETTINGS, {
      writesPerSecond: 5,
      leaseTtlMs: 2_000,
      // Stored by the earlier governor: no longer a setting.
      ...({ leaseMax: 3 } as Partial<GovernorSettings>),
    });
    expect(ok.ok && ok.settings.writesPerSecond).toBe(5);
    expect(ok.ok && ok.settings.leaseTtlMs).toBe(2_000);
    expect(ok.ok && 'leaseMax' in ok.settings).toBe(false);
    expect(applyOverrides(DEFAULT_SETTINGS, { utilization: 1.5 })).toEqual({
      ok: false,
      field: 'utilization',
    });
    expect(applyOverrides(DEFAULT_SETTINGS, { maxWaitMs: 0 })).toEqual({ ok: false, field: 'maxWaitMs' });
  });
});
