import { createExecutionContext, reset, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import type { Access } from '../../src/catalog';
import { createCheckoutClient, type RateGate, upstreamFetch } from '../../src/checkout';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { BollardError, renderError } from '../../src/http';
import { LeasedRateGate, type LeasedRateGateOptions, windowMs } from '../../src/ratelimit';
import { RateGovernor } from '../../src/ratelimit/governor-do';
import { SIM_BASE, simConfig, simReset, simStats } from '../oauth/sim-control';
import { maxInWindow } from './virtual-governor';

const UNKNOWN_PAYMENT = 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa';

function governor(name: string) {
  return env.RATE_GOVERNOR.getByName(name);
}

function gate(name: string, options: Partial<LeasedRateGateOptions> = {}): LeasedRateGate {
  return new LeasedRateGate({ governor: () => governor(name), ...options });
}

/** The real outbound client against the simulator, one attempt per call so every upstream answer shows. */
function client(rateGate: RateGate | undefined) {
  return createCheckoutClient({
    baseUrl: SIM_BASE,
    credential: { kind: 'secret_key', secretKey: DEV_CREDENTIALS.secretKey },
    fetch: upstreamFetch(env),
    ...(rateGate ? { gate: rateGate } : {}),
    retry: { maxAttempts: 1 },
  });
}

/** `n` concurrent reads (each a 404 for an unknown payment: a cheap call the simulator still counts). */
function reads(rateGate: RateGate | undefined, n: number) {
  const c = client(rateGate);
  return Promise.allSettled(
    Array.from({ length: n }, () => c.send('getPayment', { params: { id: UNKNOWN_PAYMENT } })),
  );
}

afterEach(async () => {
  await simReset();
  await reset();
});

describe('rate governor (the real object, the simulator upstream)', () => {
  it('admits a burst up to the limit at once and refuses the rest at once, with a 429 and Retry-After', async () => {
    await governor('shed').configure({ readsPerSecond: 10, maxWaitMs: 200 });
    const before = await simStats();
    const started = Date.now();
    const results = await reads(gate('shed'), 30);
    const after = await simStats();

    const sent = results.filter((r) => r.status === 'fulfilled');
    const shed = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    // Ten permits: ten calls go at once; the next permit frees a window (1.1 s) later, past the 200 ms bound.
    expect(sent.length).toBe(10);
    expect(shed.length).toBe(20);
    expect(after.requests.read - before.requests.read).toBe(10);
    expect(Date.now() - started).toBeLessThan(1_000);

    for (const err of shed) {
      expect(err).toBeInstanceOf(BollardError);
      expect((err as BollardError).type).toBe('too_many_requests');
      expect((err as BollardError).retryAfter).toBeGreaterThanOrEqual(1);
    }
    const res = renderError(shed[0], 'req_test');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({
      request_id: 'req_test',
      error_type: 'too_many_requests',
      error_codes: ['rate_limit_wait_exceeded'],
      message: expect.stringContaining('rate limit'),
    });
  });

  it('spans isolates: two gates sharing one budget never exceed it in any window', async () => {
    await simConfig({ reads_per_second: 10 });
    const check = await governor('shared').configure({ readsPerSecond: 8, maxWaitMs: 10_000 });
    const slots: number[] = [];
    const onAdmit = (_: Access, at: number) => void slots.push(at);
    const before = await simStats();
    const [a, b] = await Promise.all([
      reads(gate('shared', { onAdmit }), 12),
      reads(gate('shared', { onAdmit }), 12),
    ]);
    const after = await simStats();

    const statuses = [...a, ...b].map((r) =>
      r.status === 'fulfilled' ? r.value.status : `rejected: ${JSON.stringify(r.reason)}`,
    );
    expect(statuses, JSON.stringify(statuses)).toEqual(Array(24).fill(404));
    expect(after.responses_429 - before.responses_429).toBe(0);
    expect(after.requests.read - before.requests.read).toBe(24);
    // Eight permits, each reused 8/7 s apart: at most 8 admissions in any such window, so in any second.
    expect(check.ok).toBe(true);
    const w = check.ok ? windowMs(check.settings, 'read') : 0;
    expect(maxInWindow(slots, w)).toBeLessThanOrEqual(8);
    expect(maxInWindow(slots, 1_000)).toBeLessThanOrEqual(8);
  }, 15_000);

  it('without the governor the same load trips the upstream limit (control)', async () => {
    await simConfig({ reads_per_second: 10 });
    const before = await simStats();
    await Promise.all([reads(undefined, 12), reads(undefined, 12)]);
    const after = await simStats();
    expect(after.responses_429 - before.responses_429).toBeGreaterThan(0);
  });

  it('lets no more than the limit reach the upstream in any second, however late calls arrive there', async () => {
    // Bursts of 10 at a limit of 10, calls waiting for permits (2 s bound) rather than being refused.
    await governor('late').configure({ readsPerSecond: 10, maxWaitMs: 2_000 });
    await simConfig({ reads_per_second: 10 });
    const before = await simStats();
    const upstream = upstreamFetch(env);
    // The fault under test: every call of a "late" burst reaches the upstream 700 ms after Bollard sent it
    // (a stalled event loop, a slow network), far beyond the window's 31 ms margin over a second. Counted
    // from admission, the next burst's permits would free 1031 ms after the late ones were admitted, and
    // both bursts would land in one upstream second two times in three.
    let lateMs = 0;
    const late: typeof upstream = async (input, init) => {
      if (lateMs > 0) await scheduler.wait(lateMs);
      return upstream(input, init);
    };
    const c = createCheckoutClient({
      baseUrl: SIM_BASE,
      credential: { kind: 'secret_key', secretKey: DEV_CREDENTIALS.secretKey },
      fetch: late,
      gate: gate('late'),
      retry: { maxAttempts: 1 },
    });
    const burst = () =>
      Promise.allSettled(
        Array.from({ length: 10 }, () => c.send('getPayment', { params: { id: UNKNOWN_PAYMENT } })),
      );
    for (let pair = 0; pair < 3; pair++) {
      lateMs = 700;
      await burst();
      lateMs = 0;
      await burst();
    }
    const after = await simStats();
    expect(after.requests.read - before.requests.read).toBe(60);
    expect(after.responses_429 - before.responses_429).toBe(0);
    // Six bursts, each a second after the last one's answers: longer than the project's default timeout.
  }, 30_000);

  it('lowers the class budget after upstream 429s, once per episode', async () => {
    // The account's real limit (3/s) is lower than the configured one: the governor learns from the 429s.
    await simConfig({ reads_per_second: 3 });
    // The throttle report goes after the answer (`waitUntil`): awaited through the context, not raced.
    const ctx = createExecutionContext();
    const g = gate('adaptive', { waitUntil: (p) => ctx.waitUntil(p) });
    const results = await reads(g, 12);
    const throttledCount = results.filter((r) => r.status === 'fulfilled' && r.value.status === 429).length;
    expect(throttledCount).toBeGreaterThan(0);
    await waitOnExecutionContext(ctx);

    const snap = await governor('adaptive').snapshot();
    expect(snap.read.throttleReports).toBe(1);
    expect(snap.read.factor).toBeCloseTo(0.7, 2);
    expect(snap.read.permits).toBe(70);
    expect(snap.read.scheduledPerSecond).toBeCloseTo(100 * snap.settings.utilization * 0.7, 0);
    expect(snap.write.factor).toBe(1);
  });

  it('pauses a class for an upstream Retry-After and refuses meanwhile without calling upstream', async () => {
    await simConfig({ reads_per_second: 2, retry_after_seconds: 3 });
    await governor('pause').configure({ maxWaitMs: 500 });
    const ctx = createExecutionContext();
    const g = gate('pause', { waitUntil: (p) => ctx.waitUntil(p) });
    await reads(g, 6);
    await waitOnExecutionContext(ctx);
    const snap = await governor('pause').snapshot();
    expect(snap.read.backlogMs).toBeGreaterThan(1_500);

    const before = await simStats();
    const [late] = await reads(g, 1);
    expect(late?.status).toBe('rejected');
    expect(((late as PromiseRejectedResult).reason as BollardError).retryAfter).toBeGreaterThanOrEqual(1);
    expect((await simStats()).requests.read).toBe(before.requests.read);
  });

  it('keeps steady calls off the governor: renewals run in the background', async () => {
    const g = gate('amortise');
    const c = client(g);
    const before = await simStats();
    for (let i = 0; i < 40; i++) {
      await c.send('getPayment', { params: { id: UNKNOWN_PAYMENT } });
      await new Promise((r) => setTimeout(r, 25));
    }
    const snap = await governor('amortise').snapshot();
    const stats = g.stats();
    expect(stats.acquired).toBe(40);
    expect(snap.read.leases).toBe(stats.leases);
    // The cold isolate's first call waits for its lease; later ones find permits at hand.
    expect(stats.leaseWaits).toBeLessThanOrEqual(2);
    expect(stats.waited).toBeLessThanOrEqual(2);
    expect((await simStats()).requests.read - before.requests.read).toBe(40);
  });

  it('keeps leased permits counted when the object restarts', async () => {
    const g = gate('restart');
    await reads(g, 5);
    const stub = governor('restart');
    const held = (await stub.snapshot()).read.held;
    expect(held).toBeGreaterThanOrEqual(5);
    await runInDurableObject(stub, (_instance, state) => {
      // A new instance on the same storage, as after an eviction.
      const again = new RateGovernor(state, env);
      const snap = again.snapshot();
      expect(snap.read.held).toBe(held);
      expect(snap.read.held + snap.read.freeNow).toBeLessThanOrEqual(100);
    });
  });

  it('refuses bad input by field', async () => {
    const g = governor('input');
    expect(await g.configure({ utilization: 2 })).toEqual({ ok: false, field: 'utilization' });
    const cleared = await g.configure(null);
    expect(cleared.ok && cleared.settings.readsPerSecond).toBe(Number(env.RATE_LIMIT_READS_PER_SECOND));
  });
});
