import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  admin,
  bytesOf,
  call,
  compressTime,
  createWorkflow,
  deliveries,
  hmacHex,
  json,
  payment,
  received,
  runAlarm,
  settle,
  sinkBase,
  waitUntil,
} from './support/helpers';

beforeEach(async () => {
  await compressTime();
});

afterEach(async () => {
  await reset();
});

const MINUTE = 60_000;
const SCHEDULE = [5, 10, 15, 30, 60, 240, 720, 720].map((m) => m * MINUTE);

describe('signed delivery', () => {
  it('POSTs the envelope with the custom headers and a Cko-Signature over the exact bytes', async () => {
    const sink = sinkBase();
    const key = 'whsec_test_ünïcode_key';
    await createWorkflow({
      url: sink.url('/hook'),
      key,
      headers: { Authorization: 'receiver-shared-secret' },
    });
    const pay = await payment({ capture: true, reference: 'ORD-©®™' });
    await settle();

    const got = await received(sink.prefix);
    expect(got.map((r) => JSON.parse(new TextDecoder().decode(bytesOf(r))).type)).toEqual([
      'payment_approved',
      'payment_captured',
    ]);
    for (const r of got) {
      const bytes = bytesOf(r);
      expect(r.headers['cko-signature']).toBe(await hmacHex(key, bytes));
      expect(r.headers['cko-signature']).toMatch(/^[0-9a-f]{64}$/);
      expect(r.headers.authorization).toBe('receiver-shared-secret');
      expect(r.headers['content-type']).toBe('application/json');
      const envelope = JSON.parse(new TextDecoder().decode(bytes));
      expect(envelope).toMatchObject({
        id: expect.stringMatching(/^evt_[a-z2-7]{26}$/),
        version: expect.any(String),
        created_on: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        data: { id: pay, reference: 'ORD-©®™' },
        _links: {
          self: { href: `http://sim.test/workflows/events/${envelope.id}` },
          subject: { href: `http://sim.test/workflows/events/subject/${pay}` },
          payment: { href: `http://sim.test/payments/${pay}` },
        },
      });
      // The stored event is the same document the receiver got.
      const stored = await json(await call('GET', `/workflows/events/${envelope.id}`), 200);
      expect(stored).toEqual(envelope);
    }
    // A different key does not verify: the signature really depends on the workflow's key.
    const first = got[0];
    if (!first) throw new Error('no delivery');
    expect(first.headers['cko-signature']).not.toBe(await hmacHex('another-key', bytesOf(first)));
  });

  it('delivers only the subscribed event types, only to active workflows, to every matching workflow', async () => {
    const approvedOnly = sinkBase();
    const everything = sinkBase();
    const inactive = sinkBase();
    await createWorkflow({ url: approvedOnly.url(), events: { gateway: ['payment_approved'] } });
    await createWorkflow({ url: everything.url() });
    await createWorkflow({ url: inactive.url(), active: false });
    await payment({ capture: true });
    await settle();
    expect(await received(approvedOnly.prefix)).toHaveLength(1);
    expect(await received(everything.prefix)).toHaveLength(2);
    expect(await received(inactive.prefix)).toHaveLength(0);
  });

  it('reports deliveries in /_sim/stats', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url() });
    await payment({ capture: true });
    await settle();
    const stats = await json<{ webhooks: Record<string, number> }>(await admin('GET', '/_sim/stats'), 200);
    expect(stats.webhooks).toMatchObject({ delivered: 2, failed: 0, pending: 0, retried: 0 });
    // The log pages from the newest end: `limit=1` is the latest delivery.
    const latest = await json<{ total_count: number; data: { event_type: string }[] }>(
      await admin('GET', '/_sim/webhooks?limit=1'),
      200,
    );
    expect(latest.total_count).toBe(2);
    expect(latest.data.map((d) => d.event_type)).toEqual(['payment_captured']);
    expect((await admin('GET', '/_sim/webhooks?limit=0')).status).toBe(422);
  });
});

describe('retries on the compressed schedule', () => {
  it('retries a failing receiver 8 times (5m … 12h, scaled) and then gives up', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url('/status/500'), events: { gateway: ['payment_approved'] } });
    await payment({ capture: false });
    const [d] = await settle();
    expect(d).toMatchObject({ status: 'failed', attempts: 9, next_attempt_at: null });
    expect(d?.history.map((h) => h.status_code)).toEqual(Array(9).fill(500));
    expect(d?.history.slice(0, 8).map((h) => h.retry_in_ms)).toEqual(SCHEDULE);
    expect(d?.history.slice(0, 8).map((h) => h.scaled_retry_in_ms)).toEqual(
      SCHEDULE.map((ms) => ms / 10_000_000),
    );
    expect(d?.history[8]?.retry_in_ms).toBeUndefined();
    // The receiver saw all nine attempts: same event id and the same bytes each time.
    const got = await received(sink.prefix);
    expect(got).toHaveLength(9);
    expect(new Set(got.map((r) => r.body_base64)).size).toBe(1);
    const stats = await json<{ webhooks: Record<string, number> }>(await admin('GET', '/_sim/stats'), 200);
    expect(stats.webhooks).toMatchObject({ delivered: 0, failed: 1, retried: 8, pending: 0 });
  });

  it('stops retrying once the receiver acknowledges', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url('/fail/2'), events: { gateway: ['payment_approved'] } });
    await payment({ capture: false });
    const [d] = await settle();
    expect(d).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(d?.history.map((h) => h.status_code)).toEqual([503, 503, 200]);
    expect((await received(sink.prefix)).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('treats a redirect and a 4xx as failures, like a 5xx', async () => {
    // (An unreachable receiver is covered end to end in test/e2e/sim-webhooks.test.ts: here every
    // outbound request reaches the sink.)
    const sink = sinkBase();
    await createWorkflow({ url: sink.url('/status/302'), events: { gateway: ['payment_approved'] } });
    await createWorkflow({ url: sink.url('/status/401'), events: { gateway: ['payment_approved'] } });
    await payment({ capture: false });
    const all = await settle();
    expect(all.map((d) => [d.status, d.attempts, d.history[0]?.status_code])).toEqual([
      ['failed', 9, 302],
      ['failed', 9, 401],
    ]);
  });

  it('uses the real schedule at time scale 1: the retry is due 5 minutes later, not before', async () => {
    await compressTime(1);
    const sink = sinkBase();
    await createWorkflow({ url: sink.url('/fail/1'), events: { gateway: ['payment_approved'] } });
    await payment({ capture: false });
    const first = async () => (await deliveries())[0];
    await waitUntil(async () => (await first())?.status === 'pending' && (await first())?.attempts === 1);
    const d = await first();
    const at = Date.parse(d?.history[0]?.at ?? '');
    expect(Date.parse(d?.next_attempt_at ?? '') - at).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(d?.history[0]).toMatchObject({
      status_code: 503,
      retry_in_ms: 5 * MINUTE,
      scaled_retry_in_ms: 5 * MINUTE,
    });
    // Move the simulator's clock (not the wall clock): 4 minutes on, the retry is still not due...
    await admin('POST', '/_sim/config', { advance_clock_ms: 4 * MINUTE });
    await runAlarm();
    expect(await first()).toMatchObject({ status: 'pending', attempts: 1 });
    // ...at 5 minutes it is, and the receiver now acknowledges.
    await admin('POST', '/_sim/config', { advance_clock_ms: MINUTE });
    await runAlarm();
    expect(await first()).toMatchObject({ status: 'delivered', attempts: 2 });
    expect((await received(sink.prefix)).map((r) => r.status)).toEqual([503, 200]);
  });
});

describe('redelivery', () => {
  it('re-sends a delivered event through /_sim/webhooks/{id}/redeliver and /workflows/events/{id}/reflow', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    await payment({ capture: false });
    const [first] = await settle();
    const eventId = first?.event_id ?? '';
    const res = await admin('POST', `/_sim/webhooks/${eventId}/redeliver`);
    expect(await json(res, 202)).toEqual({ event_id: eventId, queued: 1 });
    expect((await call('POST', `/workflows/events/${eventId}/reflow`)).status).toBe(202);
    const all = await settle();
    expect(all.map((d) => [d.kind, d.status])).toEqual([
      ['original', 'delivered'],
      ['redelivery', 'delivered'],
      ['redelivery', 'delivered'],
    ]);
    const got = await received(sink.prefix);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.body_base64)).size).toBe(1);
    expect((await admin('POST', '/_sim/webhooks/evt_aaaaaaaaaaaaaaaaaaaaaaaaaa/redeliver')).status).toBe(404);
  });

  it('reflows by subject', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url() });
    const pay = await payment({ capture: true });
    await settle();
    expect((await call('POST', '/workflows/events/reflow', { subjects: [pay] })).status).toBe(202);
    await settle();
    expect(await received(sink.prefix)).toHaveLength(4);
    const bad = await call('POST', '/workflows/events/reflow', {});
    expect((await json<{ error_codes: string[] }>(bad, 422)).error_codes).toEqual([
      'events_or_subjects_required',
    ]);
  });

  it('a deleted workflow gets no more deliveries', async () => {
    await compressTime(1);
    const sink = sinkBase();
    const wf = await createWorkflow({
      url: sink.url('/status/500'),
      events: { gateway: ['payment_approved'] },
    });
    await payment({ capture: false });
    await waitUntil(
      async () => (await deliveries())[0]?.status === 'pending' && (await deliveries())[0]?.attempts === 1,
    );
    expect((await call('DELETE', `/workflows/${wf}`)).status).toBe(204);
    await runAlarm();
    const [d] = await deliveries();
    expect(d).toMatchObject({ status: 'canceled', attempts: 1, next_attempt_at: null });
    expect(await received(sink.prefix)).toHaveLength(1);
  });
});

describe('webhook faults', () => {
  it('duplicate: every event is delivered twice with the same id', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    expect(await json(await admin('POST', '/_sim/webhook-faults', { duplicate: true }), 200)).toMatchObject({
      duplicate_rate: 1,
    });
    await payment({ capture: false });
    await settle();
    const got = await received(sink.prefix);
    expect(got).toHaveLength(2);
    const ids = got.map((r) => JSON.parse(new TextDecoder().decode(bytesOf(r))).id);
    expect(ids[0]).toBe(ids[1]);
    expect((await deliveries()).map((d) => d.kind)).toEqual(['original', 'duplicate']);
  });

  it('out_of_order: holds N deliveries and releases them shuffled', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    await admin('POST', '/_sim/webhook-faults', { out_of_order: 4 });
    const payments: string[] = [];
    for (let i = 0; i < 3; i++) payments.push(await payment({ capture: false }));
    await settle();
    expect(await received(sink.prefix)).toHaveLength(0);
    expect((await deliveries()).map((d) => d.status)).toEqual(['held', 'held', 'held']);
    payments.push(await payment({ capture: false }));
    await settle();
    const order = (await received(sink.prefix)).map(
      (r) => JSON.parse(new TextDecoder().decode(bytesOf(r))).data.id,
    );
    expect([...order].sort()).toEqual([...payments].sort());
    expect(order).not.toEqual(payments);
  });

  it('turning out_of_order off releases what is held, in order', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    await admin('POST', '/_sim/webhook-faults', { out_of_order: 10 });
    const a = await payment({ capture: false });
    const b = await payment({ capture: false });
    await admin('POST', '/_sim/webhook-faults', { out_of_order: 0 });
    await settle();
    const order = (await received(sink.prefix)).map(
      (r) => JSON.parse(new TextDecoder().decode(bytesOf(r))).data.id,
    );
    expect(order).toEqual([a, b]);
  });

  it('drop_first_attempt: the first attempt fails unsent and the retry delivers', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    await admin('POST', '/_sim/webhook-faults', { drop_first_attempt: true });
    await payment({ capture: false });
    const [d] = await settle();
    expect(d).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(d?.history[0]).toMatchObject({ error: 'dropped', retry_in_ms: 5 * MINUTE });
    expect(await received(sink.prefix)).toHaveLength(1);
  });

  it('the webhooks part of /_sim/faults sets the same knobs, and clearing it stops them', async () => {
    const sink = sinkBase();
    await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    expect(
      (await admin('POST', '/_sim/faults', { webhooks: { duplicate: true, out_of_order: 2 } })).status,
    ).toBe(200);
    expect(await json(await admin('GET', '/_sim/webhook-faults'), 200)).toMatchObject({
      duplicate_rate: 1,
      out_of_order: 2,
    });
    const a = await payment({ capture: false });
    await settle();
    // One event, delivered twice, both held until the second arrived, then released (shuffled).
    const first = await received(sink.prefix);
    expect(first.map((r) => JSON.parse(new TextDecoder().decode(bytesOf(r))).data.id)).toEqual([a, a]);
    expect((await admin('DELETE', '/_sim/faults')).status).toBe(204);
    await payment({ capture: false });
    await settle();
    expect(await received(sink.prefix)).toHaveLength(3);
  });

  it('validates the knobs and reads them back', async () => {
    const bad = await admin('POST', '/_sim/webhook-faults', {
      duplicate_rate: 2,
      out_of_order: -1,
      colour: 'x',
    });
    expect((await json<{ error_codes: string[] }>(bad, 422)).error_codes).toEqual([
      'duplicate_rate_invalid',
      'out_of_order_invalid',
      'field_unknown',
    ]);
    await admin('POST', '/_sim/webhook-faults', { duplicate_rate: 0.5, drop_first_attempt: true });
    expect(await json(await admin('GET', '/_sim/webhook-faults'), 200)).toEqual({
      duplicate_rate: 0.5,
      out_of_order: 0,
      drop_first_attempt: true,
    });
    expect(await json(await admin('POST', '/_sim/webhook-faults', { reset: true }), 200)).toEqual({
      duplicate_rate: 0,
      out_of_order: 0,
      drop_first_attempt: false,
    });
    expect((await call('GET', '/_sim/webhook-faults')).status).toBe(401);
  });
});
