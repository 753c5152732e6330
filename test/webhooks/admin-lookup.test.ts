import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../src/webhooks';
import { inboxCatalogue, subjectInbox } from '../../src/webhooks/stubs';
import { admin, adminJson, alarmNow, body, deliver, envelope, newId, recordPaymentEvent } from './helpers';

/** The order the `test-order` handler saw events in, per payment. */
const seen = new Map<string, string[]>();

beforeAll(() => {
  handlers.on(['payment_approved', 'payment_captured'], 'test-order', ({ data, event }) => {
    const id = String(data.id);
    seen.set(id, [...(seen.get(id) ?? []), event.id]);
  });
});
afterAll(() => {
  handlers.off('test-order');
});

interface Listed {
  id: string;
  received_at: unknown;
  dead_handlers: unknown;
  [k: string]: unknown;
}

describe('GET /admin/events/{id} and replay: found as soon as the delivery is acknowledged', () => {
  it('finds an event the catalogue does not list yet (asks the shards), and replays it', async () => {
    const pay = newId('pay');
    const e = envelope('card_verified', { id: pay, amount: 0, currency: 'EUR' }, '2026-11-24T09:00:00Z');
    const stub = subjectInbox(env, pay);
    // Recorded in its shard exactly as the receiver records it, but with no alarm to push it to the
    // catalogue: the catalogue cannot know this id, so only the shard lookup can find it.
    await runInDurableObject(stub, (instance, state) => {
      instance.event('evt_warmup'); // runs the shard's migration
      recordPaymentEvent(state.storage.sql, pay, e);
    });
    expect(await inboxCatalogue(env).locate(e.id)).toBeNull();

    const res = await admin(`/admin/events/${e.id}`);
    expect(res.status).toBe(200);
    const detail = (await res.json()) as Listed;
    expect(detail).toMatchObject({ id: e.id, subject: pay, type: 'card_verified' });
    const replay = await admin(`/admin/events/${e.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toMatchObject({ id: e.id, replay: 1 });
    // An id no shard holds is still a 404.
    expect((await admin(`/admin/events/${newId('evt')}`)).status).toBe(404);
    expect((await admin(`/admin/events/${newId('evt')}/replay`, { method: 'POST' })).status).toBe(404);
  });

  it('every acknowledged delivery is readable at once by id', async () => {
    for (let i = 0; i < 8; i++) {
      const pay = newId('pay');
      const e = envelope(
        'payment_approved',
        { id: pay, amount: 100, currency: 'EUR' },
        '2026-11-24T09:00:00Z',
      );
      const ack = await deliver(body(e));
      expect(ack.status).toBe(200);
      const res = await admin(`/admin/events/${e.id}`);
      expect(res.status).toBe(200);
    }
  });

  it('the detail and the list agree on types: ISO received_at, dead_handlers an array', async () => {
    const pay = newId('pay');
    const e = envelope('payment_approved', { id: pay, amount: 100, currency: 'EUR' }, '2026-11-24T09:00:00Z');
    expect((await deliver(body(e))).status).toBe(200);
    const detail = await adminJson<Listed>(`/admin/events/${e.id}`);
    // The shard's alarm pushes its rows to the catalogue (run now, or joined if it is running).
    await alarmNow(pay);
    const row = (await adminJson<{ data: Listed[] }>(`/admin/events?subject=${pay}`)).data[0];
    expect(row?.status).toBe(detail.status);
    expect(typeof detail.received_at).toBe('string');
    expect(new Date(String(detail.received_at)).toISOString()).toBe(detail.received_at);
    expect(Array.isArray(detail.dead_handlers)).toBe(true);
    for (const [k, v] of Object.entries(row ?? {})) {
      expect(typeof detail[k], k).toBe(typeof v);
      expect(Array.isArray(detail[k]), k).toBe(Array.isArray(v));
    }
    expect(detail.received_at).toBe(row?.received_at);
    expect(detail.dead_handlers).toEqual(row?.dead_handlers);
  });
});

describe('handlers run in event-time order, parsed from created_on', () => {
  it('…00.12Z runs before …00.1234567Z (a string sort would swap them)', async () => {
    const pay = newId('pay');
    // Deliberately recorded later-first, with ids ordered against time as well.
    const later = envelope(
      'payment_captured',
      { id: pay, amount: 100, currency: 'EUR' },
      '2026-11-24T09:00:00.1234567Z',
      'evt_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    );
    const earlier = envelope(
      'payment_approved',
      { id: pay, amount: 100, currency: 'EUR' },
      '2026-11-24T09:00:00.12Z',
      'evt_zzzzzzzzzzzzzzzzzzzzzzzzzz',
    );
    const stub = subjectInbox(env, pay);
    await runInDurableObject(stub, (instance, state) => {
      instance.event('evt_warmup');
      for (const e of [later, earlier]) recordPaymentEvent(state.storage.sql, pay, e, ['test-order']);
      return state.storage.setAlarm(Date.now() + 60_000);
    });
    await alarmNow(pay);
    expect(seen.get(pay)).toEqual([earlier.id, later.id]);
    // The projection's timeline agrees, and so does the demo feed's order.
    const projection = await adminJson<{ timeline: Array<{ event_id: string }> }>(`/admin/payments/${pay}`);
    expect(projection.timeline.map((t) => t.event_id)).toEqual([earlier.id, later.id]);
    expect((await stub.feed(pay)).map((f) => f.id)).toEqual([earlier.id, later.id]);
  });
});
