import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  type ClassState,
  currentFactor,
  DEFAULT_SETTINGS,
  freshState,
  type GovernorSettings,
  lease,
  scheduledRate,
  settingsFromEnv,
  throttled,
} from '../../src/ratelimit';

const settings: GovernorSettings = { ...DEFAULT_SETTINGS, writesPerSecond: 100, readsPerSecond: 50 };

/**
 * Most slots in any half-open window of `windowMs` (slots sorted ascending). The default trims a
 * nanosecond: 97 intervals of 1000/97 ms sum to 1000 ms up to float rounding.
 */
function maxInWindow(slots: readonly number[], windowMs = 1000 - 1e-6): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < slots.length; hi++) {
    while ((slots[hi] as number) - (slots[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Most slots in one fixed wall-clock second. */
function maxPerSecond(slots: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const t of slots) counts.set(Math.floor(t / 1000), (counts.get(Math.floor(t / 1000)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

describe('schedule (GCRA lease)', () => {
  it('starts an idle class at now and spaces slots at the scheduled rate', () => {
    const now = 10_000;
    const { state, lease: l } = lease(freshState(), settings, 'write', 4, now);
    const interval = (1000 - settings.windowGuardMs) / (100 * settings.utilization);
    expect(l.slots).toHaveLength(4);
    for (const [i, slot] of l.slots.entries()) expect(slot).toBeCloseTo(now + i * interval, 6);
    expect(l.retryAfterMs).toBe(0);
    expect(state.tat).toBeCloseTo(now + 4 * interval);
  });

  it('never banks idle time into a burst', () => {
    let state: ClassState = lease(freshState(), settings, 'write', 8, 0).state;
    const later = lease(state, settings, 'write', 8, 60_000);
    expect(later.lease.slots[0]).toBe(60_000);
    state = later.state;
    expect(state.tat).toBeCloseTo(60_000 + 8 * ((1000 - settings.windowGuardMs) / 97));
  });

  it('keeps interleaved leases of many clients within the budget in every second', () => {
    let state = freshState();
    const slots: number[] = [];
    let now = 0;
    // 40 "isolates" asking 3..8 slots each, repeatedly, while time advances in small uneven steps.
    for (let i = 0; i < 400; i++) {
      now += (i * 7) % 23;
      const r = lease(state, settings, 'write', 3 + (i % 6), now);
      state = r.state;
      slots.push(...r.lease.slots);
    }
    slots.sort((a, b) => a - b);
    expect(slots.length).toBeGreaterThan(300);
    // Fixed wall-clock seconds (how the upstream counts): never more than the scheduled rate, and nothing
    // in the guard band at the end of a second.
    expect(maxPerSecond(slots)).toBeLessThanOrEqual(Math.floor(100 * settings.utilization));
    expect(slots.every((t) => t % 1000 < 1000 - settings.windowGuardMs)).toBe(true);
    // Any sliding second: at most one more (the guard band compresses a second's slots).
    expect(maxInWindow(slots)).toBeLessThanOrEqual(Math.floor(100 * settings.utilization) + 1);
  });

  it('keeps a call delayed up to the guard band inside its own second', () => {
    let state = freshState();
    const slots: number[] = [];
    for (let i = 0; i < 60; i++) {
      const r = lease(state, settings, 'write', 8, 0);
      state = r.state;
      slots.push(...r.lease.slots);
    }
    const delayed = slots.map((t) => t + settings.windowGuardMs - 1);
    expect(maxPerSecond(delayed)).toBeLessThanOrEqual(97);
    expect(delayed.every((t, i) => Math.floor(t / 1000) === Math.floor((slots[i] as number) / 1000))).toBe(
      true,
    );
  });

  it('grants nothing beyond the maximum wait and says when to come back', () => {
    let state = freshState();
    const now = 0;
    let granted = 0;
    let last = { slots: [0], retryAfterMs: 0 };
    for (let i = 0; i < 40; i++) {
      const r = lease(state, settings, 'read', 8, now);
      state = r.state;
      granted += r.lease.slots.length;
      last = r.lease;
    }
    // 2 s of a 50/s (×0.97) schedule (48.5 a second), the slot at exactly `now` included.
    expect(granted).toBeGreaterThanOrEqual(97);
    expect(granted).toBeLessThanOrEqual(99);
    expect(last.slots).toEqual([]);
    expect(last.retryAfterMs).toBeGreaterThan(0);
    expect(last.retryAfterMs).toBeLessThanOrEqual(
      Math.ceil(1000 / (50 * settings.utilization)) + settings.windowGuardMs,
    );
  });

  it('caps a lease at leaseMax', () => {
    expect(lease(freshState(), settings, 'write', 500, 0).lease.slots).toHaveLength(settings.leaseMax);
  });
});

describe('adaptive budget', () => {
  it('drops to 70% on a 429, once per episode, holds, then recovers additively', () => {
    const t0 = 100_000;
    let state = throttled(freshState(), settings, t0, undefined);
    expect(currentFactor(state, settings, t0)).toBeCloseTo(0.7);
    expect(scheduledRate(state, settings, 'write', t0)).toBeCloseTo(100 * settings.utilization * 0.7);

    // More 429s from the same overshoot (within the cooldown) are the same signal.
    state = throttled(state, settings, t0 + 500, undefined);
    expect(currentFactor(state, settings, t0 + 500)).toBeCloseTo(0.7);

    // Holds for holdMs, then +5% of the configured rate per second, back to 100% after 6 s more.
    expect(currentFactor(state, settings, t0 + settings.holdMs)).toBeCloseTo(0.7);
    expect(currentFactor(state, settings, t0 + settings.holdMs + 2_000)).toBeCloseTo(0.8);
    expect(currentFactor(state, settings, t0 + settings.holdMs + 6_000)).toBeCloseTo(1);
    expect(currentFactor(state, settings, t0 + settings.holdMs + 60_000)).toBe(1);
  });

  it('compounds repeated episodes down to the floor', () => {
    let state = freshState();
    let t = 0;
    for (let i = 0; i < 20; i++) {
      state = throttled(state, settings, t, undefined);
      t += settings.cooldownMs;
    }
    expect(currentFactor(state, settings, t)).toBeCloseTo(settings.minFactor);
    const second = throttled(throttled(freshState(), settings, 0, undefined), settings, 1_000, undefined);
    expect(currentFactor(second, settings, 1_000)).toBeCloseTo(0.49);
  });

  it('schedules fewer slots per second after a decrease', () => {
    let state = throttled(freshState(), settings, 0, undefined);
    const slots: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = lease(state, settings, 'write', 8, 0);
      state = r.state;
      slots.push(...r.lease.slots);
    }
    expect(maxPerSecond(slots)).toBeLessThanOrEqual(Math.ceil(100 * settings.utilization * 0.7));
  });

  it('pauses the class for an upstream Retry-After, capped', () => {
    const paused = throttled(freshState(), settings, 1_000, 3);
    expect(lease(paused, settings, 'write', 1, 1_000).lease.slots).toEqual([]);
    expect(paused.tat).toBe(4_000);
    expect(throttled(freshState(), settings, 0, 3600).tat).toBe(settings.maxPauseMs);
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
    expect(s.maxWaitMs).toBe(2_000);
  });

  it('applies overrides and names the bad field', () => {
    const ok = applyOverrides(DEFAULT_SETTINGS, { writesPerSecond: 5, leaseMax: 3.7 });
    expect(ok.ok && ok.settings.writesPerSecond).toBe(5);
    expect(ok.ok && ok.settings.leaseMax).toBe(3);
    expect(applyOverrides(DEFAULT_SETTINGS, { utilization: 1.5 })).toEqual({
      ok: false,
      field: 'utilization',
    });
    expect(applyOverrides(DEFAULT_SETTINGS, { maxWaitMs: 0 })).toEqual({ ok: false, field: 'maxWaitMs' });
  });
});
