import { describe, expect, it } from 'vitest';
import type { Access } from '../../src/catalog';
import { isBollardError } from '../../src/http/errors';
import {
  DEFAULT_SETTINGS,
  freshState,
  type GovernorSettings,
  LeasedRateGate,
  lease,
  scheduledRate,
} from '../../src/ratelimit';
import type { GovernorPort } from '../../src/ratelimit/rate-gate';

/** Most slots in any window of `windowMs` starting anywhere: the upstream's seconds may be phased any way. */
function maxInAnyWindow(slots: readonly number[], windowMs = 1000): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < slots.length; hi++) {
    while ((slots[hi] as number) - (slots[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('a spare slot at every limit', () => {
  for (const limit of [2, 5, 20, 33, 34, 100]) {
    it(`schedules below ${limit}/s and never more than ${limit} in any 1 s window, whatever its phase`, () => {
      const settings: GovernorSettings = { ...DEFAULT_SETTINGS, writesPerSecond: limit, maxWaitMs: 10_000 };
      expect(scheduledRate(freshState(), settings, 'write', 0)).toBeLessThanOrEqual(limit - 1);
      const slots: number[] = [];
      let state = freshState();
      for (let now = 0; now < 8_000; now += 37) {
        const r = lease(state, settings, 'write', 32, now);
        state = r.state;
        slots.push(...r.lease.slots);
      }
      slots.sort((a, b) => a - b);
      expect(slots.length).toBeGreaterThan(limit * 5);
      expect(maxInAnyWindow(slots)).toBeLessThanOrEqual(limit);
    });
  }
});

/** A governor that grants what a test scripts, after a scripted delay. */
function scriptedGovernor(grant: (want: number) => { delays: number[]; afterMs: number }): GovernorPort {
  return {
    async lease(_access: Access, want: number) {
      const { delays, afterMs } = grant(want);
      await new Promise((r) => setTimeout(r, afterMs));
      return { delays, graceMs: 100, retryAfterMs: 0, maxWaitMs: 300, windowGuardMs: 0 };
    },
    async reportThrottled() {},
  };
}

async function shedWithin(gate: LeasedRateGate, boundMs: number): Promise<number> {
  const started = Date.now();
  const err = await gate.acquire('write').then(
    () => null,
    (e: unknown) => e,
  );
  const waited = Date.now() - started;
  expect(isBollardError(err) ? err.type : err).toBe('too_many_requests');
  expect(waited).toBeLessThan(boundMs);
  return waited;
}

describe('the wait bound is hard', () => {
  it('a slow lease plus a far slot never add up to more than the maximum wait', async () => {
    // The lease takes 200 ms and hands out a slot 250 ms later: 450 ms in all, past the 300 ms bound.
    const gate = new LeasedRateGate({
      governor: () => scriptedGovernor(() => ({ delays: [250], afterMs: 200 })),
      maxWaitMs: 300,
    });
    const waited = await shedWithin(gate, 400);
    expect(waited).toBeGreaterThanOrEqual(190);
  });

  it('a governor that never answers sheds at the bound, not never', async () => {
    const hung: GovernorPort = {
      lease: () => new Promise(() => {}),
      async reportThrottled() {},
    };
    const gate = new LeasedRateGate({ governor: () => hung, maxWaitMs: 300, leaseTimeoutMs: 5_000 });
    // The first caller leases; the second waits on that lease. Both end at the bound.
    const started = Date.now();
    const results = await Promise.allSettled([gate.acquire('write'), gate.acquire('write')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 10_000);

  it('a lease round trip that hangs is cut off by its own timeout', async () => {
    const hung: GovernorPort = {
      lease: () => new Promise(() => {}),
      async reportThrottled() {},
    };
    const gate = new LeasedRateGate({ governor: () => hung, maxWaitMs: 5_000, leaseTimeoutMs: 100 });
    const started = Date.now();
    const err = await gate.acquire('read').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err).toMatchObject({ type: 'upstream_unavailable', codes: ['rate_governor_unavailable'] });
  });
});
