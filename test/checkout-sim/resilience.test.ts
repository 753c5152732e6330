import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { admin, api, CARD, json, resetSim, SK, stats } from './helpers';

beforeEach(resetSim, 30_000);

const payment = { source: CARD, amount: 700, currency: 'EUR' };
const idem = (key: string) => ({ 'Cko-Idempotency-Key': key });

describe('idempotency', () => {
  it('replays the original success (status and body) and counts the replay', async () => {
    const first = await api('POST', '/payments', SK, payment, idem('key-1'));
    expect(first.status).toBe(201);
    const firstBody = await json(first);
    const second = await api('POST', '/payments', SK, payment, idem('key-1'));
    expect(second.status).toBe(201);
    expect(await json(second)).toEqual(firstBody);
    expect((await json(await api('GET', '/payments', SK))).total_count).toBe(1);
    expect((await stats()).idempotent_replays).toBe(1);
    const other = await api('POST', '/payments', SK, payment, idem('key-2'));
    expect((await json(other)).id).not.toBe(firstBody.id);
  });

  it('replays 202 action answers too', async () => {
    const p = await json(await api('POST', '/payments', SK, { ...payment, capture: false }));
    const a = await api('POST', `/payments/${p.id}/captures`, SK, { amount: 100 }, idem('cap'));
    const b = await api('POST', `/payments/${p.id}/captures`, SK, { amount: 100 }, idem('cap'));
    expect(b.status).toBe(202);
    expect((await json(b)).action_id).toBe((await json(a)).action_id);
    const got = await json(await api('GET', `/payments/${p.id}`, SK));
    expect((got.balances as Json).total_captured).toBe(100);
  });

  it('does not store a failure: a corrected retry with the same key is processed', async () => {
    const bad = await api('POST', '/payments', SK, { ...payment, currency: 'nope' }, idem('key-f'));
    expect(bad.status).toBe(422);
    const good = await api('POST', '/payments', SK, payment, idem('key-f'));
    expect(good.status).toBe(201);
    expect((await stats()).idempotent_replays).toBe(0);
  });

  it('keeps answers for 24 hours', async () => {
    const first = await json(await api('POST', '/payments', SK, payment, idem('key-t')));
    await admin('POST', '/_sim/config', { advance_clock_ms: 23 * 3600 * 1000 });
    expect((await json(await api('POST', '/payments', SK, payment, idem('key-t')))).id).toBe(first.id);
    await admin('POST', '/_sim/config', { advance_clock_ms: 2 * 3600 * 1000 });
    expect((await json(await api('POST', '/payments', SK, payment, idem('key-t')))).id).not.toBe(first.id);
  });

  it('answers 429 to a concurrent duplicate while the first is in flight', async () => {
    // The latency fault holds the first request in flight long enough for the duplicate to arrive.
    await admin('POST', '/_sim/faults', { routes: { 'POST /payments': { latency_ms: 1000 } } });
    const both = await Promise.all([
      api('POST', '/payments', SK, payment, idem('key-c')),
      api('POST', '/payments', SK, payment, idem('key-c')),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 429]);
    const first = both.find((r) => r.status === 201) as Response;
    const duplicate = both.find((r) => r.status === 429) as Response;
    expect((await json(duplicate)).error_type).toBe('too_many_requests');
    expect((await stats()).idempotency_concurrent_rejected).toBe(1);
    // Once the first has finished, the same key replays it.
    const c = await api('POST', '/payments', SK, payment, idem('key-c'));
    expect(c.status).toBe(201);
    expect((await json(c)).id).toBe((await json(first)).id);
  });
});

describe('rate limits', () => {
  it('enforces separate read and write budgets with 429 and the error body, counted in stats', async () => {
    await admin('POST', '/_sim/config', { reads_per_second: 3, writes_per_second: 2 });
    const reads = await Promise.all(Array.from({ length: 8 }, () => api('GET', '/payments', SK)));
    const readStatuses = reads.map((r) => r.status);
    expect(readStatuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(readStatuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    const limited = reads.find((r) => r.status === 429) as Response;
    const body = await json(limited);
    expect(body).toEqual({
      request_id: limited.headers.get('Cko-Request-Id'),
      error_type: 'too_many_requests',
      error_codes: [],
    });
    expect(limited.headers.get('Retry-After')).toBeNull();
    const writes = await Promise.all(Array.from({ length: 6 }, () => api('POST', '/payments', SK, payment)));
    expect(writes.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    const s = await stats();
    const total429 = [...reads, ...writes].filter((r) => r.status === 429).length;
    expect(s.rate_limited).toBe(total429);
    expect(s.responses_429).toBe(total429);
    expect((s.peak_per_second as Json).read).toBeLessThanOrEqual(3);
    expect((s.peak_per_second as Json).write).toBeLessThanOrEqual(2);
  });

  it('sends Retry-After only when configured', async () => {
    await admin('POST', '/_sim/config', { reads_per_second: 1, retry_after_seconds: 1 });
    const res = await Promise.all([
      api('GET', '/payments', SK),
      api('GET', '/payments', SK),
      api('GET', '/payments', SK),
    ]);
    const limited = res.find((r) => r.status === 429) as Response;
    expect(limited.headers.get('Retry-After')).toBe('1');
  });
});
