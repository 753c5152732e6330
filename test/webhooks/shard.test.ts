import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { handlers } from '../../src/webhooks';
import { retryDelayMs } from '../../src/webhooks/backoff';
import { DEFAULT_INBOX_SHARDS, fnv1a32, inboxShardCount, inboxShardName } from '../../src/webhooks/shard';
import { subjectInbox } from '../../src/webhooks/stubs';
import { adminJson, alarmNow, body, deliver, envelope, newId } from './helpers';

afterEach(async () => {
  handlers.off('test-shard-picky');
  await reset();
});

/** FNV-1a-32 of the bytes C3 A9, computed independently. */
const UTF8_E_ACUTE = 0x1e9de8c1;

/** Two distinct payment ids that hash to the same inbox shard under the configured shard count. */
function sameShardPair(): [string, string] {
  const shards = inboxShardCount(env);
  const seen = new Map<string, string>();
  for (;;) {
    const id = newId('pay');
    const name = inboxShardName(id, shards);
    const other = seen.get(name);
    if (other) return [other, id];
    seen.set(name, id);
  }
}

describe('inbox sharding', () => {
  it('hashes with 32-bit FNV-1a over UTF-8 (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    // Non-ASCII text is hashed as its UTF-8 bytes (C3 A9), not as UTF-16 code units.
    expect(fnv1a32('é')).toBe(UTF8_E_ACUTE);
  });

  it('reads the shard count from WEBHOOK_INBOX_SHARDS and falls back to the default on bad values', () => {
    const withShards = (v: string | undefined) => ({ ...env, WEBHOOK_INBOX_SHARDS: v }) as Env;
    expect(inboxShardCount(env)).toBe(DEFAULT_INBOX_SHARDS);
    expect(inboxShardCount(withShards('8'))).toBe(8);
    expect(inboxShardCount(withShards('1'))).toBe(1);
    for (const bad of ['0', '-4', '2.5', 'many', '', '99999'])
      expect(inboxShardCount(withShards(bad))).toBe(DEFAULT_INBOX_SHARDS);
    expect(inboxShardName('pay_x', 1)).toBe('shard:0');
    expect(inboxShardName('pay_x', 32)).toBe(`shard:${fnv1a32('pay_x') % 32}`);
  });

  it('keeps subjects that share a shard apart: own feed, own projection, and a failing handler of one does not hold back the other', async () => {
    const [a, b] = sameShardPair();
    // Before any delivery, so before A's handler first fails: its retry is due at least one backoff later.
    const beforeFirstFailure = Date.now();
    handlers.on('payment_captured', 'test-shard-picky', ({ event }) => {
      if (event.subject === a) throw new Error('downstream refuses this payment');
    });
    const captured = (id: string, amount: number, at: string) =>
      envelope(
        'payment_captured',
        { id, action_id: newId('act'), amount, currency: 'EUR', balances: { total_captured: amount } },
        at,
      );
    const approved = (id: string, amount: number, at: string) =>
      envelope('payment_approved', { id, action_id: newId('act'), amount, currency: 'EUR' }, at);
    // A's failing event is older than B's, so B's runs come after it in the shard's queue.
    const aCaptured = captured(a, 500, '2026-11-24T10:00:01Z');
    const bCaptured = captured(b, 900, '2026-11-24T10:00:05Z');
    for (const e of [aCaptured, approved(a, 500, '2026-11-24T10:00:00Z'), bCaptured])
      expect((await deliver(body(e))).status).toBe(200);
    expect(await (await deliver(body(approved(b, 900, '2026-11-24T10:00:04Z')))).json()).toMatchObject({
      duplicate: false,
    });
    // The repeat of A's event meets the first delivery in the shared shard.
    expect(await (await deliver(body(aCaptured))).json()).toMatchObject({ duplicate: true });

    const stub = subjectInbox(env, a);
    // Each pass is the shard's own alarm run now; the runtime's scheduled alarm may hold some of the work
    // at the moment one starts, so the next pass finds it (bounded: a handful of passes, no sleep).
    for (let pass = 0; pass < 5 && (await stub.event(bCaptured.id))?.status !== 'processed'; pass++)
      await alarmNow(a);
    expect((await stub.event(bCaptured.id))?.status).toBe('processed');
    const aDetail = await stub.event(aCaptured.id);
    expect(aDetail).toMatchObject({ status: 'retrying', deliveries: 2 });
    expect(aDetail?.runs[0]).toMatchObject({
      handler: 'test-shard-picky',
      status: 'pending',
      attempts: 1,
      last_error: 'downstream refuses this payment',
    });
    // A's failing run waits out a backoff, not a busy loop: its retry is due at least 4 s (5 s less its
    // jitter) after the failure, taken from the run's own record rather than from the clock now, which a
    // loaded machine moves on. (The shard's alarm itself may be due sooner, for its index and catalogue.)
    const nextAttemptAt = Date.parse(aDetail?.runs[0]?.next_attempt_at ?? '');
    expect(nextAttemptAt).toBeGreaterThanOrEqual(beforeFirstFailure + retryDelayMs(1, () => 0));

    const feedA = await stub.feed(a);
    const feedB = await subjectInbox(env, b).feed(b);
    expect(feedA.map((e) => e.type)).toEqual(['payment_approved', 'payment_captured']);
    expect(feedB.map((e) => e.type)).toEqual(['payment_approved', 'payment_captured']);
    const idsB = new Set(feedB.map((e) => e.id));
    expect(feedA.filter((e) => idsB.has(e.id))).toEqual([]);

    const projA = await adminJson<{ id: string; status: string; amount_captured: number; events: number }>(
      `/admin/payments/${a}`,
    );
    const projB = await adminJson<{ id: string; status: string; amount_captured: number; events: number }>(
      `/admin/payments/${b}`,
    );
    expect(projA).toMatchObject({ id: a, status: 'Captured', amount_captured: 500, events: 2 });
    expect(projB).toMatchObject({ id: b, status: 'Captured', amount_captured: 900, events: 2 });

    // The operator listing still tells the subjects apart (the drain pushed the shard's rows).
    const listedB = await adminJson<{ total_count: number }>(`/admin/events?subject=${b}&status=processed`);
    expect(listedB.total_count).toBe(2);
    const listedA = await adminJson<{ total_count: number }>(`/admin/events?subject=${a}`);
    expect(listedA.total_count).toBe(2);
  });
});
