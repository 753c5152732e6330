import { describe, expect, it } from 'vitest';
import type { Access } from '../../src/catalog';
import { isBollardError, renderError } from '../../src/http/errors';
import { type GovernorPort, type LeaseAnswer, LeasedRateGate, type LeaseRequest } from '../../src/ratelimit';

/** A governor that answers what a test scripts: permits free after `delays`, each reused `windowMs` apart. */
function scripted(answer: (req: LeaseRequest, n: number) => Partial<LeaseAnswer>): GovernorPort & {
  requests: LeaseRequest[];
} {
  const requests: LeaseRequest[] = [];
  return {
    requests,
    async lease(_access: Access, req: LeaseRequest) {
      requests.push(req);
      return {
        current: true,
        renewed: true,
        granted: [],
        ttlMs: 60_000,
        windowMs: 1_000,
        holdLimit: 100,
        retryAfterMs: 0,
        maxWaitMs: 200,
        ...answer(req, requests.length),
      };
    },
    async reportThrottled() {},
  };
}

async function outcome(p: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const t0 = Date.now();
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  return { ms: Date.now() - t0, error };
}

describe('the wait bound', () => {
  it('refuses at once, with Retry-After in the one error shape, when no permit frees within it', async () => {
    const governor = scripted((_req, n) => (n === 1 ? { granted: [0] } : { retryAfterMs: 900 }));
    const gate = new LeasedRateGate({ governor: () => governor, maxWaitMs: 200 });
    expect((await outcome(gate.acquire('write'))).error).toBeNull();
    // The one permit is next free in a second: beyond the bound, and the governor has none either.
    const refused = await outcome(gate.acquire('write'));
    expect(refused.ms).toBeLessThan(100);
    expect(isBollardError(refused.error) && refused.error.type).toBe('too_many_requests');
    const res = renderError(refused.error, 'req_test');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({
      request_id: 'req_test',
      error_type: 'too_many_requests',
      error_codes: ['rate_limit_wait_exceeded'],
      message: expect.stringContaining('rate limit'),
    });
    // Told the governor had none, the next caller is refused without asking again.
    const asked = governor.requests.length;
    expect(isBollardError((await outcome(gate.acquire('write'))).error)).toBe(true);
    expect(governor.requests.length).toBe(asked);
  });

  it('waits for a permit that frees within it', async () => {
    const governor = scripted((_req, n) =>
      n === 1 ? { granted: [0], windowMs: 150 } : { windowMs: 150, retryAfterMs: 150 },
    );
    const gate = new LeasedRateGate({ governor: () => governor, maxWaitMs: 200 });
    await gate.acquire('read');
    const second = await outcome(gate.acquire('read'));
    expect(second.error).toBeNull();
    expect(second.ms).toBeGreaterThanOrEqual(140);
    expect(second.ms).toBeLessThan(1_000);
    // The first call waited on the cold lease only; the second for its permit.
    expect(gate.stats()).toMatchObject({ acquired: 2, shed: 0, leaseWaits: 1 });
    expect(gate.stats().waitedMs).toBeGreaterThanOrEqual(140);
  });

  it('gives up on a governor that never answers, at the lease timeout', async () => {
    const hung: GovernorPort = { lease: () => new Promise(() => {}), async reportThrottled() {} };
    const gate = new LeasedRateGate({ governor: () => hung, leaseTimeoutMs: 100 });
    // The first caller leases; the second waits on that lease. Both end within the bound.
    const [a, b] = await Promise.all([outcome(gate.acquire('read')), outcome(gate.acquire('read'))]);
    for (const r of [a, b]) {
      expect(r.ms).toBeLessThan(1_000);
      expect(r.error).toMatchObject({ type: 'upstream_unavailable', codes: ['rate_governor_unavailable'] });
    }
  });

  it('lets a waiting caller go when its request is aborted', async () => {
    const governor = scripted((_req, n) =>
      n === 1 ? { granted: [0, 150], windowMs: 150 } : { windowMs: 150, retryAfterMs: 150 },
    );
    const gate = new LeasedRateGate({ governor: () => governor, maxWaitMs: 200 });
    await gate.acquire('read');
    const controller = new AbortController();
    const waiting = outcome(gate.acquire('read', controller.signal));
    controller.abort(new Error('client went away'));
    const r = await waiting;
    expect(r.ms).toBeLessThan(100);
    expect(String(r.error)).toContain('client went away');
  });
});
