import { reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../src/webhooks';
import type { RecordInput } from '../../src/webhooks/inbox-types';
import {
  markUncatalogued,
  PRUNE_BATCH,
  pruneCatalogue,
  pruneShard,
  QUARANTINE_MAX_ENTRIES,
  type ScanCursor,
  uncatalogued,
} from '../../src/webhooks/retention';
import {
  DEFAULT_RETENTION_DAYS,
  MIN_EVENT_ID_RETENTION_MS,
  type RetentionPolicy,
  retentionFromEnv,
} from '../../src/webhooks/retention-settings';
import { inboxCatalogue, subjectInbox } from '../../src/webhooks/stubs';
import { migrateSubject, recordEvent } from '../../src/webhooks/subject-store';
import { adminJson, alarmNow, body, deliver, drain, envelope, newId } from './helpers';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

afterEach(() => reset());

let objects = 0;
/** A fresh inbox object, migrated as a shard, to drive the pure retention functions on real SQLite. */
function freshShard() {
  objects++;
  return env.WEBHOOK_INBOX.getByName(`retention-test:${objects}`);
}

function input(subject: string, type = 'payment_captured', id = newId('evt')): RecordInput {
  const data = { id: subject, action_id: newId('act'), amount: 100, currency: 'EUR' };
  return {
    id,
    type,
    created_on: '2026-01-01T00:00:00Z',
    subject,
    subject_kind: subject.startsWith('pay_') ? 'payment' : 'other',
    known: true,
    body: JSON.stringify({ id, type, created_on: '2026-01-01T00:00:00Z', data }),
    data: JSON.stringify(data),
    request_id: 'req_test',
  };
}

const count = (sql: SqlStorage, table: string): number =>
  sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;

describe('retention settings', () => {
  it('defaults to 30 days of events, 90 of dead letters, 60 of ids, 30 of quarantine', () => {
    const p = retentionFromEnv(env);
    expect(p).toEqual({
      eventsMs: DEFAULT_RETENTION_DAYS.events * DAY,
      deadLettersMs: DEFAULT_RETENTION_DAYS.deadLetters * DAY,
      eventIdsMs: DEFAULT_RETENTION_DAYS.eventIds * DAY,
      quarantineMs: DEFAULT_RETENTION_DAYS.quarantine * DAY,
    });
  });

  it('never remembers ids for less than Checkout.com retries (~30 h), and ignores malformed values', () => {
    const p = retentionFromEnv({
      ...env,
      WEBHOOK_RETENTION_DAYS: '0.5',
      WEBHOOK_EVENT_ID_RETENTION_DAYS: '0.1',
      WEBHOOK_DEAD_LETTER_RETENTION_DAYS: 'soon',
      WEBHOOK_QUARANTINE_RETENTION_DAYS: '-1',
    } as Env);
    expect(p.eventsMs).toBe(12 * HOUR);
    expect(p.eventIdsMs).toBe(MIN_EVENT_ID_RETENTION_MS);
    expect(p.eventIdsMs).toBeGreaterThan(30 * HOUR);
    expect(p.deadLettersMs).toBe(DEFAULT_RETENTION_DAYS.deadLetters * DAY);
    expect(p.quarantineMs).toBe(DEFAULT_RETENTION_DAYS.quarantine * DAY);
  });
});

describe('pruning a shard', () => {
  const policy: RetentionPolicy = {
    eventsMs: DAY,
    deadLettersMs: 3 * DAY,
    eventIdsMs: 5 * DAY,
    quarantineMs: DAY,
  };

  it('removes at most 500 events per pass and reports more until done', async () => {
    await runInDurableObject(freshShard(), (_i, state) => {
      const sql = state.storage.sql;
      migrateSubject(sql);
      for (let i = 0; i < 1_200; i++) recordEvent(sql, input(newId('evt')), [], T0 + i);
      const at = T0 + DAY + 2_000;
      const passes: Array<{ events: number; more: boolean }> = [];
      let cursor: ScanCursor | null = null;
      for (let i = 0; i < 5; i++) {
        const r = pruneShard(sql, policy, at, cursor);
        cursor = r.cursor;
        passes.push({ events: r.events, more: r.more });
        if (!r.more) break;
      }
      expect(passes).toEqual([
        { events: PRUNE_BATCH, more: true },
        { events: PRUNE_BATCH, more: true },
        { events: 200, more: false },
      ]);
      expect(count(sql, 'events')).toBe(0);
      expect(count(sql, 'runs')).toBe(0);
      // Every id is remembered, and waits for the catalogue to drop its row before it may expire.
      expect(count(sql, 'forgotten')).toBe(1_200);
      expect(pruneShard(sql, policy, T0 + 10 * DAY).expiredIds).toBe(0);
      markUncatalogued(sql, uncatalogued(sql, 2_000));
      expect(pruneShard(sql, policy, T0 + 10 * DAY)).toMatchObject({ expiredIds: PRUNE_BATCH, more: true });
    });
  });

  it('keeps a subject whole while any of its events is recent, pending or dead-lettered within its window', async () => {
    await runInDurableObject(freshShard(), (_i, state) => {
      const sql = state.storage.sql;
      migrateSubject(sql);
      const old = newId('pay');
      const active = newId('pay');
      const pending = newId('pay');
      const dead = newId('pay');
      recordEvent(sql, input(old), [], T0);
      recordEvent(sql, input(active), [], T0);
      recordEvent(sql, input(active, 'payment_refunded'), [], T0 + 2 * DAY); // a refund a month later, say
      recordEvent(sql, input(pending), ['test-retention-handler'], T0);
      const deadEvent = input(dead);
      recordEvent(sql, deadEvent, [], T0);
      sql.exec("UPDATE events SET status = 'dead_lettered' WHERE id = ?", deadEvent.id);

      const r = pruneShard(sql, policy, T0 + 2 * DAY);
      expect(r).toMatchObject({ events: 1, subjects: 1, more: false });
      const left = sql
        .exec<{ subject: string }>('SELECT DISTINCT subject FROM events ORDER BY subject')
        .toArray()
        .map((x) => x.subject);
      expect(left.sort()).toEqual([active, pending, dead].sort());
      // The active subject's projection still counts both its events.
      const projection = sql
        .exec<{ json: string }>('SELECT json FROM projection WHERE subject = ?', active)
        .one();
      expect(JSON.parse(projection.json)).toMatchObject({ events: 2 });
      expect(sql.exec('SELECT 1 FROM projection WHERE subject = ?', old).toArray()).toEqual([]);

      // The dead letter goes after its own, longer window.
      expect(pruneShard(sql, policy, T0 + 3 * DAY + 1)).toMatchObject({ subjects: 2 }); // active + dead
      expect(sql.exec('SELECT 1 FROM events WHERE subject = ?', dead).toArray()).toEqual([]);
      // A pending run is never pruned, however old.
      expect(sql.exec('SELECT 1 FROM events WHERE subject = ?', pending).toArray().length).toBe(1);
    });
  });

  it('answers a delivery of a pruned event as a duplicate while its id is remembered', async () => {
    await runInDurableObject(freshShard(), (_i, state) => {
      const sql = state.storage.sql;
      migrateSubject(sql);
      const e = input(newId('pay'));
      expect(recordEvent(sql, e, ['h'], T0).first).toBe(true);
      sql.exec("UPDATE runs SET status = 'done', finished_at = ?", T0);
      sql.exec("UPDATE events SET status = 'processed'");
      expect(pruneShard(sql, policy, T0 + DAY + 1).events).toBe(1);
      expect(count(sql, 'events')).toBe(0);
      // Inside the id window: a duplicate, no new run.
      expect(recordEvent(sql, e, ['h'], T0 + 2 * DAY)).toEqual({
        first: false,
        deliveries: 2,
        status: 'processed',
      });
      expect(count(sql, 'runs')).toBe(0);
      // The redelivery extends the window from its own time.
      markUncatalogued(sql, uncatalogued(sql, 10));
      expect(pruneShard(sql, policy, T0 + 6 * DAY).expiredIds).toBe(0);
      expect(pruneShard(sql, policy, T0 + 7 * DAY).expiredIds).toBe(1);
      // Past every window the id is a stranger again.
      expect(recordEvent(sql, e, ['h'], T0 + 8 * DAY).first).toBe(true);
    });
  });

  it('stays within a stated bound over 5,000 events on 1,250 subjects, retention 1 h, ids 3 h', async () => {
    const tiny: RetentionPolicy = {
      eventsMs: HOUR,
      deadLettersMs: 2 * HOUR,
      eventIdsMs: 3 * HOUR,
      quarantineMs: HOUR,
    };
    const EVERY_MS = 10_000; // one event every 10 s of simulated time: ~14 h in all
    const PASS_EVERY = 50; // a pruning pass (an alarm) every 500 s
    const bound = {
      // rate × (retention + time between passes), plus a subject's spread (4 events, 30 s)
      events: Math.ceil((HOUR + PASS_EVERY * EVERY_MS) / EVERY_MS) + 4,
      // rate × (id window + time between passes)
      forgotten: Math.ceil((3 * HOUR + PASS_EVERY * EVERY_MS) / EVERY_MS),
    };
    await runInDurableObject(freshShard(), (_i, state) => {
      const sql = state.storage.sql;
      migrateSubject(sql);
      let cursor: ScanCursor | null = null;
      let maxEvents = 0;
      let maxForgotten = 0;
      let sizeAtSteadyState = 0;
      let maxSize = 0;
      for (let i = 0; i < 5_000; i++) {
        const now = T0 + i * EVERY_MS;
        // Four events per payment, in a row; every fifth subject is a lone event about neither.
        const subject = i % 5 === 4 ? newId('evt') : `pay_stream${Math.floor(i / 5)}`;
        recordEvent(sql, input(subject), [], now);
        if (i % PASS_EVERY === PASS_EVERY - 1) {
          const r = pruneShard(sql, tiny, now, cursor);
          cursor = r.cursor;
          // The shard's alarm tells the catalogue at once (inbox-do pushes before the next pass).
          markUncatalogued(sql, uncatalogued(sql, 10_000));
          maxEvents = Math.max(maxEvents, count(sql, 'events'));
          maxForgotten = Math.max(maxForgotten, count(sql, 'forgotten'));
          if (i === 1_999) sizeAtSteadyState = sql.databaseSize;
          if (i > 1_999) maxSize = Math.max(maxSize, sql.databaseSize);
        }
      }
      expect(maxEvents).toBeLessThanOrEqual(bound.events);
      expect(maxForgotten).toBeLessThanOrEqual(bound.forgotten);
      expect(count(sql, 'projection')).toBeLessThanOrEqual(bound.events);
      // Freed pages are reused: past the first windows the file does not keep growing.
      expect(maxSize).toBeLessThanOrEqual(sizeAtSteadyState * 1.25);
    });
  });
});

describe('pruning the catalogue', () => {
  const policy: RetentionPolicy = {
    eventsMs: DAY,
    deadLettersMs: DAY,
    eventIdsMs: 2 * DAY,
    quarantineMs: DAY,
  };

  it('drops old quarantine entries in batches, caps their number, and removes orphaned rows', async () => {
    const stub = env.WEBHOOK_INBOX.getByName(`retention-test-catalogue:${++objects}`);
    // Creates the catalogue tables through the object's own migration.
    await stub.quarantined(1, 0);
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      for (let i = 0; i < 600; i++) {
        sql.exec(
          `INSERT INTO quarantine (request_id, received_at, last_received_at, reason, codes, size, body, digest)
           VALUES ('r', ?, ?, 'x', '', 1, 'x', ?)`,
          now - 2 * DAY,
          now - 2 * DAY,
          `old${i}`,
        );
      }
      sql.exec(
        `INSERT INTO quarantine (request_id, received_at, last_received_at, reason, codes, size, body, digest)
         VALUES ('r', ?, ?, 'x', '', 1, 'x', 'redelivered')`,
        now - 2 * DAY,
        now - HOUR,
      );
      sql.exec(
        `INSERT INTO catalogue (id, subject, type, status, created_on, received_at, deliveries, replays, dead_handlers)
         VALUES ('evt_orphan', 'pay_x', 't', 'processed', '2026-01-01T00:00:00Z', ?, 1, 0, '')`,
        now - 40 * DAY,
      );
      expect(pruneCatalogue(sql, policy, now)).toEqual({ quarantine: PRUNE_BATCH, orphans: 0, more: true });
      expect(pruneCatalogue(sql, policy, now)).toEqual({ quarantine: 100, orphans: 1, more: false });
      // A body delivered again recently stays.
      expect(count(sql, 'quarantine')).toBe(1);
      expect(count(sql, 'catalogue')).toBe(0);

      for (let i = 0; i < QUARANTINE_MAX_ENTRIES + 10; i++) {
        sql.exec(
          `INSERT INTO quarantine (request_id, received_at, last_received_at, reason, codes, size, body, digest)
           VALUES ('r', ?, ?, 'x', '', 1, 'x', ?)`,
          now,
          now,
          `cap${i}`,
        );
      }
      expect(pruneCatalogue(sql, policy, now).quarantine).toBe(11);
      expect(count(sql, 'quarantine')).toBe(QUARANTINE_MAX_ENTRIES);
    });
  });
});

describe('retention through the worker', () => {
  const calls = new Map<string, number>();
  beforeAll(() => {
    handlers.on('payment_captured', 'test-retention', ({ event }) => {
      calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
    });
  });
  afterAll(() => handlers.off('test-retention'));

  it('keeps exactly once inside the window, prunes on the alarm after it, and the listing follows', async () => {
    const subject = newId('pay');
    const e = envelope(
      'payment_captured',
      { id: subject, action_id: newId('act'), amount: 700, currency: 'EUR' },
      '2026-11-24T10:00:00Z',
    );
    expect(await (await deliver(body(e))).json()).toMatchObject({ duplicate: false });
    const stub = subjectInbox(env, subject);
    // Run now, or joined if the scheduled alarm is the one running the handler when the test looks.
    await alarmNow(subject);
    expect((await stub.event(e.id))?.status).toBe('processed');
    expect(calls.get(e.id)).toBe(1);
    // A quiet shard sleeps until its oldest event can expire (30 days), not every hour.
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 29 * DAY);

    // 29 days later (the clock moved back instead): a redelivery inside the window is a duplicate.
    const age = async (ms: number) =>
      runInDurableObject(stub, (_i, state) => {
        const sql = state.storage.sql;
        sql.exec(
          'UPDATE events SET received_at = received_at - ?, last_delivery_at = last_delivery_at - ?',
          ms,
          ms,
        );
        sql.exec('UPDATE runs SET finished_at = finished_at - ?, next_at = next_at - ?', ms, ms);
        sql.exec(
          'UPDATE forgotten SET last_delivery_at = last_delivery_at - ?, expires_at = expires_at - ?',
          ms,
          ms,
        );
      });
    await age(29 * DAY);
    await runDurableObjectAlarm(stub);
    expect(await stub.event(e.id)).not.toBeNull();
    expect(await (await deliver(body(e))).json()).toMatchObject({ duplicate: true });
    await drain([subject]);
    expect(calls.get(e.id)).toBe(1);

    // Past the 30 days since that redelivery: the alarm prunes the subject and tells the catalogue.
    await age(31 * DAY);
    await runDurableObjectAlarm(stub);
    expect(await stub.event(e.id)).toBeNull();
    expect(await stub.projection(subject, 'payment')).toBeNull();
    const listed = await adminJson<{ total_count: number }>(`/admin/events?subject=${subject}`);
    expect(listed.total_count).toBe(0);

    // The id is still remembered (60 days): a late redelivery runs nothing.
    expect(await (await deliver(body(e))).json()).toMatchObject({ duplicate: true });
    await drain([subject]);
    expect(calls.get(e.id)).toBe(1);
  });

  it('GET /admin/status reports the retention settings and storage sizes', async () => {
    const status = await adminJson<{
      storage: {
        webhooks: {
          retention: Record<string, number>;
          catalogue: { bytes: number | null };
          shards: { count: number; probed: number; bytes: number | null };
        };
      };
    }>('/admin/status');
    expect(status.storage.webhooks.retention).toEqual({
      events_days: 30,
      dead_letters_days: 90,
      event_ids_days: 60,
      quarantine_days: 30,
    });
    expect(status.storage.webhooks.catalogue.bytes).toBeGreaterThanOrEqual(0);
    expect(status.storage.webhooks.shards).toMatchObject({ count: 32, probed: 32 });
    expect(status.storage.webhooks.shards.bytes).toBeGreaterThan(0);
  });

  it('the catalogue object sets its pruning alarm when it first stores something', async () => {
    const catalogue = inboxCatalogue(env);
    await catalogue.quarantine({
      request_id: 'req_x',
      reason: 'not json',
      codes: ['body_not_json'],
      body: 'x',
      size: 1,
      digest: 'd1',
    });
    const alarm = await runInDurableObject(catalogue, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 29 * DAY);
  });
});
