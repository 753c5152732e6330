import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBollardError } from '../../src/http/errors';
import { type LeasedRateGate, windowMs } from '../../src/ratelimit';
import {
  maxInWindow,
  offer,
  settingsFor,
  VirtualClock,
  VirtualGovernor,
  virtualGate,
} from './virtual-governor';

/**
 * Admission as the upstream counts it (issue 19): the gates of several isolates share one governor's
 * permits (the real books, src/ratelimit/permit-book.ts, on a virtual clock). Traffic under the limit
 * passes without waiting, bursts within a window are allowed, and the excess is refused at once.
 */

/** Arrivals in [0, spanMs) spread over `gates`, bursty: clusters of calls at the same instant. */
const arrivalsArb = (gates: number, spanMs: number, max: number) =>
  fc.array(
    fc.record({
      gate: fc.integer({ min: 0, max: gates - 1 }),
      at: fc.integer({ min: 0, max: spanMs - 1 }),
      burst: fc.integer({ min: 1, max: 6 }),
    }),
    { maxLength: max },
  );

function expand(arrivals: ReadonlyArray<{ gate: number; at: number; burst: number }>) {
  return arrivals.flatMap((a) => Array.from({ length: a.burst }, () => ({ gate: a.gate, at: a.at })));
}

/** Drops arrivals (in time order) that would put more than `limit` in a window: traffic under the limit. */
function underLimit(arrivals: ReadonlyArray<{ gate: number; at: number }>, limit: number, w: number) {
  const kept: Array<{ gate: number; at: number }> = [];
  for (const a of [...arrivals].sort((x, y) => x.at - y.at)) {
    if (maxInWindow([...kept.map((k) => k.at), a.at], w) <= limit) kept.push(a);
  }
  return kept;
}

describe('admission across isolates (property)', () => {
  it('never admits more than the limit in any window, whatever the gates, bursts, waits, throttles and lost round trips', async () => {
    // The property must have met traffic over the limit, or it proved nothing.
    let saturatedRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, 50, 200, 1_500),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(0, 0, 3, 7),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (limit, gateCount, maxWaitMs, latencyMs, throttles, lossEvery, seed) => {
          const clock = new VirtualClock();
          const settings = settingsFor(limit, { maxWaitMs });
          // Some round trips lost on the way there or back (the gate then holds less than the books say).
          const governor = new VirtualGovernor(clock, settings, latencyMs, lossEvery);
          const admissions: number[] = [];
          const gates = Array.from({ length: gateCount }, (_, i) =>
            virtualGate(clock, governor, i, maxWaitMs, admissions),
          );
          const arrivals = expand(
            fc.sample(arrivalsArb(gateCount, 9_000, 120), { seed, numRuns: 1 })[0] ?? [],
          );
          // Upstream 429s reported by some gate mid-run: the budget shrinks, never grows past the limit.
          for (let i = 0; i < throttles; i++) {
            const at = 1_000 + i * 2_500;
            void clock
              .sleep(at)
              .then(() => gates[i % gateCount]?.reportThrottled('read', i === 1 ? 1 : undefined));
          }
          const outcomes = await offer(clock, gates, arrivals);
          expect(outcomes.every((o) => o.admittedAt !== null || isBollardError(o.error))).toBe(true);
          const w = windowMs(settings, 'read');
          expect(maxInWindow(admissions, w)).toBeLessThanOrEqual(limit);
          expect(maxInWindow(admissions, 1_000)).toBeLessThanOrEqual(limit);
          if (outcomes.some((o) => o.refusedAt !== null)) saturatedRuns++;
        },
      ),
      { numRuns: 80 },
    );
    expect(saturatedRuns).toBeGreaterThan(10);
  }, 60_000);

  it('lets traffic under the limit through without waiting, bursts included (one isolate)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), arrivalsArb(1, 3_500, 120), async (limit, raw) => {
        const clock = new VirtualClock();
        const settings = settingsFor(limit);
        const governor = new VirtualGovernor(clock, settings);
        const admissions: number[] = [];
        const gate = virtualGate(clock, governor, 0, settings.maxWaitMs, admissions);
        const arrivals = underLimit(expand(raw), limit, windowMs(settings, 'read'));
        const outcomes = await offer(clock, [gate], arrivals);
        for (const o of outcomes) expect(o.admittedAt).toBe(o.arrivedAt);
      }),
      { numRuns: 80 },
    );
  }, 60_000);

  it('lets traffic under half the limit, spread over isolates, through without waiting', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Each isolate holds a spare or two beyond its own use: below 20/s four of them could hold it all.
        fc.integer({ min: 20, max: 60 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (limit, gateCount, seed) => {
          const clock = new VirtualClock();
          const settings = settingsFor(limit);
          const governor = new VirtualGovernor(clock, settings);
          const admissions: number[] = [];
          const gates = Array.from({ length: gateCount }, (_, i) =>
            virtualGate(clock, governor, i, settings.maxWaitMs, admissions),
          );
          const raw = fc.sample(arrivalsArb(1, 3_500, 150), { seed, numRuns: 1 })[0] ?? [];
          // Spread as a load balancer would (round robin): no isolate is left holding another's share.
          const arrivals = underLimit(expand(raw), Math.floor(limit / 2), windowMs(settings, 'read')).map(
            (a, i) => ({ ...a, gate: i % gateCount }),
          );
          const outcomes = await offer(clock, gates, arrivals);
          for (const o of outcomes) expect(o.admittedAt).toBe(o.arrivedAt);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it('refuses the excess at once, with Retry-After, and admits no admitted call later than the bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 40 }),
        fc.constantFrom(0, 50, 200),
        fc.integer({ min: 0, max: 10 }),
        async (limit, maxWaitMs, latencyMs) => {
          const clock = new VirtualClock();
          const settings = settingsFor(limit, { maxWaitMs });
          const governor = new VirtualGovernor(clock, settings, latencyMs);
          const admissions: number[] = [];
          const gate = virtualGate(clock, governor, 0, maxWaitMs, admissions);
          // Twice the limit for three seconds, evenly: half of it cannot be admitted.
          const arrivals = Array.from({ length: limit * 6 }, (_, i) => ({ gate: 0, at: (i * 500) / limit }));
          const outcomes = await offer(clock, [gate], arrivals);
          const refused = outcomes.filter((o) => o.refusedAt !== null);
          expect(refused.length).toBeGreaterThan(0);
          // A refusal costs at most the lease round trips a call may make (two), never a wait for the bound.
          const trips = 2 * 2 * latencyMs;
          for (const o of refused) {
            expect((o.refusedAt as number) - o.arrivedAt).toBeLessThanOrEqual(trips);
            expect(isBollardError(o.error) && o.error.type).toBe('too_many_requests');
            expect(isBollardError(o.error) && o.error.retryAfter).toBeGreaterThanOrEqual(1);
          }
          for (const o of outcomes.filter((x) => x.admittedAt !== null)) {
            expect((o.admittedAt as number) - o.arrivedAt).toBeLessThanOrEqual(maxWaitMs + trips);
          }
          expect(maxInWindow(admissions, windowMs(settings, 'read'))).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('background refill', () => {
  it('keeps no call waiting on the governor at a steady load', async () => {
    const clock = new VirtualClock();
    const settings = settingsFor(40);
    // A slow governor: every round trip a call waited on would show as a wait.
    const governor = new VirtualGovernor(clock, settings, 15);
    const admissions: number[] = [];
    const gate: LeasedRateGate = virtualGate(clock, governor, 0, settings.maxWaitMs, admissions);
    // 20 calls a second for 20 s (half the limit), evenly spaced.
    const arrivals = Array.from({ length: 400 }, (_, i) => ({ gate: 0, at: i * 50 }));
    const outcomes = await offer(clock, [gate], arrivals);
    const stats = gate.stats();
    expect(stats.acquired).toBe(400);
    // Only the very first call (a cold isolate) waits for a lease; renewals ran in the background.
    expect(stats.leaseWaits).toBe(1);
    expect(outcomes.slice(1).every((o) => o.admittedAt === o.arrivedAt)).toBe(true);
    // Renewed about every half-life (4 s lease): a handful of round trips for 400 calls.
    expect(stats.leases).toBeGreaterThanOrEqual(5);
    expect(stats.leases).toBeLessThanOrEqual(40);
  });

  it('gives an idle lease back to the governor and lets another isolate use it', async () => {
    const clock = new VirtualClock();
    const settings = settingsFor(10);
    const governor = new VirtualGovernor(clock, settings);
    const admissions: number[] = [];
    const a = virtualGate(clock, governor, 0, settings.maxWaitMs, admissions);
    const b = virtualGate(clock, governor, 1, settings.maxWaitMs, admissions);
    // Isolate A takes the whole limit in one burst, then goes quiet; B then needs it all.
    const burst = (gate: number, at: number) => Array.from({ length: 10 }, () => ({ gate, at }));
    const outcomes = await offer(clock, [a, b], [...burst(0, 0), ...burst(1, 6_000)]);
    expect(outcomes.every((o) => o.admittedAt === o.arrivedAt)).toBe(true);
  });
});
