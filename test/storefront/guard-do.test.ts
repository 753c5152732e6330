import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { StorefrontGuard } from '../../src/storefront/guard-do';
import { SESSION_SHARDS, sessionGuardName } from '../../src/storefront/stubs';

function guard(name: string) {
  return env.STOREFRONT_GUARD.getByName(name);
}

const idem = (key: string, fingerprint: string, leaseMs = 60_000, ttlMs = 60_000) => ({
  idempotency: { key, fingerprint, leaseMs, ttlMs },
});
const order = (jti: string, expiresAtMs = Date.now() + 60_000) => ({ order: { jti, expiresAtMs } });

describe('StorefrontGuard Durable Object', () => {
  it('walks an idempotency key through proceed → in_flight → replay, and mismatch for another body', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    expect(await g.begin(idem('k', 'fp1'))).toEqual({ kind: 'proceed' });
    expect(await g.begin(idem('k', 'fp1'))).toEqual({ kind: 'in_flight' });
    expect(await g.begin(idem('k', 'fp2'))).toEqual({ kind: 'mismatch' });
    await g.complete({ key: 'k', fingerprint: 'fp1' }, 201, '{"id":"ps_1"}');
    expect(await g.begin(idem('k', 'fp1'))).toEqual({
      kind: 'replay',
      status: 201,
      body: '{"id":"ps_1"}',
    });
  });

  it('lets a new request take over a key whose lease expired (a crashed request)', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    expect(await g.begin(idem('k', 'fp', 0))).toEqual({ kind: 'proceed' });
    expect(await g.begin(idem('k', 'fp', 60_000))).toEqual({ kind: 'proceed' });
  });

  it('forgets a released key so the browser can retry', async () => {
    const g = guard(`client:test-${crypto.randomUUID()}`);
    await g.begin(idem('k', 'fp'));
    await g.release({ idempotency: { key: 'k', fingerprint: 'fp' } });
    expect(await g.begin(idem('k', 'other'))).toEqual({ kind: 'proceed' });
  });

  it('claims an order token once until it expires, and gives it back on release', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    expect(await g.begin(order('jti-1'))).toEqual({ kind: 'proceed' });
    expect(await g.begin(order('jti-1'))).toEqual({ kind: 'order_used' });
    await g.release({ jti: 'jti-1' });
    expect(await g.begin(order('jti-1'))).toEqual({ kind: 'proceed' });
  });

  it('takes a key and a token in one call, and answers a repeat from the key before the token', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    const both = { ...idem('c1 k', 'fp'), ...order('jti-both') };
    expect(await g.begin(both)).toEqual({ kind: 'proceed' });
    // The double click: the key's record answers (409, then the replay), never "token replayed".
    expect(await g.begin(both)).toEqual({ kind: 'in_flight' });
    await g.complete({ key: 'c1 k', fingerprint: 'fp' }, 201, '{"id":"ps_2"}');
    expect(await g.begin(both)).toEqual({ kind: 'replay', status: 201, body: '{"id":"ps_2"}' });
    // Another client's key (or no key) with the same token: the token was used.
    expect(await g.begin({ ...idem('c2 k', 'fp'), ...order('jti-both') })).toEqual({ kind: 'order_used' });
    expect(await g.begin(order('jti-both'))).toEqual({ kind: 'order_used' });
  });

  it('refuses a used token without leaving a record for the key', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    expect(await g.begin(order('jti-3'))).toEqual({ kind: 'proceed' });
    expect(await g.begin({ ...idem('c1 k', 'fp'), ...order('jti-3') })).toEqual({ kind: 'order_used' });
    await g.release({ jti: 'jti-3' });
    expect(await g.begin({ ...idem('c1 k', 'fp'), ...order('jti-3') })).toEqual({ kind: 'proceed' });
  });

  it('releases the key and the token in one call', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    const both = { ...idem('c1 k', 'fp'), ...order('jti-4') };
    expect(await g.begin(both)).toEqual({ kind: 'proceed' });
    await g.release({ idempotency: { key: 'c1 k', fingerprint: 'fp' }, jti: 'jti-4' });
    expect(await g.begin(both)).toEqual({ kind: 'proceed' });
  });

  it("lets a crashed request's retry (same key, same body) take its token over, and nobody else", async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    expect(await g.begin({ ...idem('c1 k', 'fp', 0), ...order('jti-5') })).toEqual({ kind: 'proceed' });
    expect(await g.begin({ ...idem('c1 k', 'other', 0), ...order('jti-5') })).toEqual({ kind: 'order_used' });
    expect(await g.begin({ ...idem('c2 k', 'fp'), ...order('jti-5') })).toEqual({ kind: 'order_used' });
    expect(await g.begin({ ...idem('c1 k', 'fp'), ...order('jti-5') })).toEqual({ kind: 'proceed' });
  });

  it('deletes expired records at its alarm, and its whole storage once empty', async () => {
    const g = guard(`order:${crypto.randomUUID()}`);
    // A record already past its expiry: its cleanup alarm is due at once (no wall-clock wait for it).
    expect(await g.begin(order('jti-2', Date.now() - 1))).toEqual({ kind: 'proceed' });
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
    expect(await g.begin(order('jti-2'))).toEqual({ kind: 'proceed' });
  });

  it('spreads session records over a fixed set of shards, the same one for the same id', () => {
    const names = new Set<string>();
    for (let i = 0; i < 2000; i++)
      names.add(sessionGuardName(`ps_${crypto.randomUUID().replaceAll('-', '')}`));
    expect([...names].sort()).toEqual(
      Array.from({ length: SESSION_SHARDS }, (_, i) => `session:${i.toString(16).padStart(2, '0')}`),
    );
    expect(sessionGuardName('ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ')).toBe(
      sessionGuardName('ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ'),
    );
  });

  it('keeps two sessions of one shard apart, and sweeps at most once a minute while records remain', async () => {
    const ids = [`ps_${'a'.repeat(26)}`, `ps_${'b'.repeat(26)}`];
    const g = guard('session:test-shard');
    for (const [i, id] of ids.entries()) {
      await g.rememberSession({
        id,
        reference: `ORD-${i}`,
        amount: 100 + i,
        currency: 'GBP',
        marker: `bsm_${i}`,
      });
    }
    await g.rememberSessionPayment(ids[1] as string, 'pay_b');
    expect(await g.session(ids[0] as string)).toMatchObject({ reference: 'ORD-0', paymentId: null });
    expect(await g.session(ids[1] as string)).toMatchObject({ reference: 'ORD-1', paymentId: 'pay_b' });
    const before = Date.now();
    expect(await runDurableObjectAlarm(g)).toBe(true);
    const next = await runInDurableObject(g, async (_i: StorefrontGuard, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThanOrEqual(before + 60_000);
    expect(await g.session(ids[0] as string)).toMatchObject({ reference: 'ORD-0' });
  });

  it('records a session Bollard created, and the payment made through it', async () => {
    const id = `ps_${crypto.randomUUID().replaceAll('-', '')}`;
    const g = guard(sessionGuardName(id));
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
});
