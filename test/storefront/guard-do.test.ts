import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { StorefrontGuard } from '../../src/storefront/guard-do';

function guard(name: string) {
  return env.STOREFRONT_GUARD.getByName(name);
}

const begin = (key: string, fingerprint: string, leaseMs = 60_000, ttlMs = 60_000) => ({
  key,
  fingerprint,
  leaseMs,
  ttlMs,
});

describe('StorefrontGuard Durable Object', () => {
  it('walks an idempotency key through proceed → in_flight → replay, and mismatch for another body', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    expect(await g.beginIdempotent(begin('k', 'fp1'))).toEqual({ kind: 'proceed' });
    expect(await g.beginIdempotent(begin('k', 'fp1'))).toEqual({ kind: 'in_flight' });
    expect(await g.beginIdempotent(begin('k', 'fp2'))).toEqual({ kind: 'mismatch' });
    await g.completeIdempotent('k', 'fp1', 201, '{"id":"ps_1"}');
    expect(await g.beginIdempotent(begin('k', 'fp1'))).toEqual({
      kind: 'replay',
      status: 201,
      body: '{"id":"ps_1"}',
    });
  });

  it('lets a new request take over a key whose lease expired (a crashed request)', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    expect(await g.beginIdempotent(begin('k', 'fp', 0))).toEqual({ kind: 'proceed' });
    expect(await g.beginIdempotent(begin('k', 'fp', 60_000))).toEqual({ kind: 'proceed' });
  });

  it('forgets an abandoned key so the browser can retry', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    await g.beginIdempotent(begin('k', 'fp'));
    await g.abandonIdempotent('k', 'fp');
    expect(await g.beginIdempotent(begin('k', 'other'))).toEqual({ kind: 'proceed' });
  });

  it('claims an order token once until it expires, and releases it on request', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    const exp = Date.now() + 60_000;
    expect(await g.claimOrder('jti-1', exp)).toBe(true);
    expect(await g.claimOrder('jti-1', exp)).toBe(false);
    await g.releaseOrder('jti-1');
    expect(await g.claimOrder('jti-1', exp)).toBe(true);
  });

  it('deletes expired records at its alarm, and its whole storage once empty', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    expect(await g.claimOrder('jti-2', Date.now() + 5)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    // The alarm may already have fired on its own; run it now if it has not.
    await runDurableObjectAlarm(g);
    const left = await runInDurableObject(g, async (_instance: StorefrontGuard, state) => ({
      tables: state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'",
        )
        .toArray()
        .map((r) => r.name),
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ tables: [], alarm: null });
    // Usable again after the wipe.
    expect(await g.claimOrder('jti-2', Date.now() + 60_000)).toBe(true);
  });

  it('records a session Bollard created, and the payment made through it', async () => {
    const id = `ps_${crypto.randomUUID().replaceAll('-', '')}`;
    const g = guard(`session:${id}`);
    await g.rememberSession({ id, reference: 'ORD-1', amount: 1200, currency: 'GBP', marker: 'bsm_1' });
    expect(await g.session(id)).toMatchObject({ id, reference: 'ORD-1', marker: 'bsm_1', paymentId: null });
    await g.rememberSessionPayment(id, 'pay_abc');
    expect(await g.session(id)).toMatchObject({ paymentId: 'pay_abc' });
    // A repeat record keeps what was learned.
    await g.rememberSession({ id, reference: 'ORD-1', amount: 1200, currency: 'GBP', marker: 'bsm_2' });
    expect(await g.session(id)).toMatchObject({ marker: 'bsm_1', paymentId: 'pay_abc' });
    expect(
      await runInDurableObject(g, async (_i: StorefrontGuard, state) => state.storage.getAlarm()),
    ).not.toBeNull();
  });

  it('leaves nothing behind when asked about a session it never recorded', async () => {
    const id = `ps_${crypto.randomUUID().replaceAll('-', '')}`;
    const g = guard(`session:${id}`);
    expect(await g.session(id)).toBeNull();
    await g.rememberSessionPayment(id, 'pay_abc');
    expect(await g.session(id)).toBeNull();
    const tables = await runInDurableObject(g, async (_i: StorefrontGuard, state) =>
      state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'",
        )
        .toArray(),
    );
    expect(tables).toEqual([]);
  });

  it('grants a batch when asked, never more than the bucket holds', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    expect(await g.take(10, 4)).toMatchObject({ allowed: true, granted: 4 });
    expect(await g.take(10, 8)).toMatchObject({ allowed: true, granted: 6 });
    expect(await g.take(10, 8)).toMatchObject({ allowed: false, granted: 0 });
  });

  it('spends and refills a per-client token bucket', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await g.take(2));
    expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(results[2]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(results[2]?.retryAfterSeconds).toBeLessThanOrEqual(30);
  });
});
