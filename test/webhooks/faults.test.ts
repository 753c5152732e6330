import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handlers } from '../../src/webhooks';
import { INBOX_DEADLINE_MS } from '../../src/webhooks/receiver-routes';
import { subjectInbox } from '../../src/webhooks/stubs';
import { admin, adminJson, alarmNow, body, deliver, envelope, newId, settle } from './helpers';

afterEach(async () => {
  handlers.off('test-flaky');
  handlers.off('test-broken');
  await reset();
});

interface Detail {
  status: string;
  replays: number;
  dead_handlers: string[] | string;
  runs: Array<{
    handler: string;
    replay: number;
    status: string;
    attempts: number;
    last_error: string | null;
  }>;
}

/** Makes every pending run of a subject due now and runs its shard's alarm (the backoff is minutes long). */
async function retryNow(subject: string): Promise<void> {
  const stub = subjectInbox(env, subject);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE runs SET next_at = 0 WHERE status = 'pending' AND event_id IN (SELECT id FROM events WHERE subject = ?)",
      subject,
    );
  });
  await alarmNow(subject);
}

function captured(subject = newId('pay')) {
  return envelope(
    'payment_captured',
    { id: subject, action_id: newId('act'), amount: 700, currency: 'EUR', balances: { total_captured: 700 } },
    '2026-11-24T10:00:00Z',
  );
}

describe('handler faults', () => {
  it('retries a failing handler with backoff until it succeeds, running it once per attempt', async () => {
    let calls = 0;
    handlers.on('payment_captured', 'test-flaky', () => {
      calls++;
      if (calls < 3) throw new Error(`flaky failure ${calls}`);
    });
    const e = captured();
    const subject = e.data.id as string;
    expect((await deliver(body(e))).status).toBe(200);
    const stub = subjectInbox(env, subject);
    // The alarm, run now or joined if the runtime has started it: it returns with the next one set.
    await alarmNow(subject);
    expect((await stub.event(e.id))?.runs[0]?.attempts).toBe(1);
    expect(calls).toBe(1);

    // Not due yet: the next alarm is the backoff away.
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 1000);
    let detail = await stub.event(e.id);
    expect(detail).toMatchObject({ status: 'retrying' });
    expect(detail?.runs[0]).toMatchObject({
      handler: 'test-flaky',
      status: 'pending',
      attempts: 1,
      last_error: 'flaky failure 1',
    });

    await retryNow(subject);
    expect(calls).toBe(2);
    await retryNow(subject);
    expect((await stub.event(e.id))?.status).toBe('processed');
    expect(calls).toBe(3);
    detail = await stub.event(e.id);
    expect(detail).toMatchObject({ status: 'processed' });
    expect(detail?.runs[0]).toMatchObject({ status: 'done', attempts: 3 });

    // Further alarms and repeat deliveries never run it again.
    await deliver(body(e));
    await retryNow(subject);
    expect(calls).toBe(3);
  });

  it('dead-letters after bounded attempts, lists it, and a replay re-runs it deliberately', async () => {
    let calls = 0;
    let healthy = false;
    handlers.on(
      'payment_captured',
      'test-broken',
      () => {
        calls++;
        if (!healthy) throw new Error('downstream unavailable');
      },
      { maxAttempts: 3 },
    );
    const e = captured();
    const subject = e.data.id as string;
    const stub = subjectInbox(env, subject);
    const attempts = async () => (await stub.event(e.id))?.runs[0]?.attempts ?? 0;
    await deliver(body(e));
    await alarmNow(subject);
    expect(await attempts()).toBe(1);
    await retryNow(subject);
    expect(await attempts()).toBe(2);
    await retryNow(subject);
    expect((await stub.event(e.id))?.status).toBe('dead_lettered');
    expect(calls).toBe(3);
    // Exhausted: no more attempts, whatever the alarms do.
    await retryNow(subject);
    expect(calls).toBe(3);

    await settle([subject], 1);
    const dead = await adminJson<{
      total_count: number;
      data: Array<{ id: string; dead_handlers: string[] }>;
    }>('/admin/dead-letters');
    expect(dead.total_count).toBe(1);
    expect(dead.data[0]).toMatchObject({ id: e.id, dead_handlers: ['test-broken'] });
    const detail = await adminJson<Detail>(`/admin/events/${e.id}`);
    expect(detail.status).toBe('dead_lettered');
    expect(detail.runs[0]).toMatchObject({
      status: 'dead',
      attempts: 3,
      last_error: 'downstream unavailable',
    });

    healthy = true;
    const res = await admin(`/admin/events/${e.id}/replay`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: e.id, replay: 1, handlers: ['test-broken'] });
    await alarmNow(subject);
    expect((await stub.event(e.id))?.status).toBe('processed');
    expect(calls).toBe(4);
    await settle([subject], 1);
    const after = await adminJson<Detail>(`/admin/events/${e.id}`);
    expect(after).toMatchObject({ status: 'processed', replays: 1 });
    expect(after.runs.map((r) => [r.replay, r.status])).toEqual([
      [0, 'dead'],
      [1, 'done'],
    ]);
    expect((await adminJson<{ total_count: number }>('/admin/dead-letters')).total_count).toBe(0);
    // The projection was never at the mercy of the failing handler.
    expect(await adminJson(`/admin/payments/${subject}`)).toMatchObject({
      status: 'Captured',
      amount_captured: 700,
    });
  });

  it('answers 404 for replaying an event it never recorded', async () => {
    expect((await admin(`/admin/events/${newId('evt')}/replay`, { method: 'POST' })).status).toBe(404);
    expect((await admin('/admin/events/not-an-id')).status).toBe(404);
    expect((await admin(`/admin/payments/${newId('pay')}`)).status).toBe(404);
  });
});

describe('inbox faults: the shard that must store a delivery stalls', () => {
  it('answers 503 with Retry-After past the deadline, acknowledging nothing; the redelivery is stored once', async () => {
    const e = captured();
    const subject = e.data.id as string;
    // The shard takes no event for longer than the receiver waits (as an overloaded or moving object
    // would). Inside the block it leaves a mark in KV, so the delivery below goes once the block is in
    // force (a promise resolved across the two contexts would hang workerd).
    const shard = subjectInbox(env, subject);
    const mark = `test:stalled:${subject}`;
    const stall = runInDurableObject(shard, (_instance, state) =>
      state.blockConcurrencyWhile(async () => {
        await env.OAUTH_TOKENS.put(mark, '1');
        await scheduler.wait(INBOX_DEADLINE_MS + 1_000);
      }),
    );
    await vi.waitFor(async () => expect(await env.OAUTH_TOKENS.get(mark)).toBe('1'), { interval: 5 });
    const started = Date.now();
    const res = await deliver(body(e));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({
      error_type: 'upstream_unavailable',
      error_codes: ['webhook_inbox_unavailable'],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(INBOX_DEADLINE_MS);
    await stall;
    await env.OAUTH_TOKENS.delete(mark);

    // Checkout.com delivers it again: stored, whether or not the first attempt's store landed late.
    const again = await deliver(body(e));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ received: true, id: e.id });
    const detail = await adminJson<{ id: string; deliveries: number }>(`/admin/events/${e.id}`);
    expect(detail.id).toBe(e.id);
    expect([1, 2]).toContain(detail.deliveries);
  });
});
