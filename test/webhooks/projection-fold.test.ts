import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { projectPayment } from '../../src/webhooks/projection';
import { subjectInbox } from '../../src/webhooks/stubs';
import { envelope, newId, recordPaymentEvent, type TestEvent } from './helpers';

function stored(sql: SqlStorage, subject: string): { json: string; fold: string | null } {
  return sql
    .exec<{ json: string; fold: string | null }>(
      'SELECT json, fold FROM projection WHERE subject = ?',
      subject,
    )
    .one();
}

describe('the stored projection fold (src/webhooks/projection.ts)', () => {
  it('adds each first delivery to the stored fold, equal to projecting every stored event', async () => {
    const pay = newId('pay');
    const events = [
      envelope(
        'payment_captured',
        { id: pay, action_id: newId('act'), amount: 400, currency: 'EUR' },
        '2026-11-24T09:05:00Z',
      ),
      envelope(
        'payment_approved',
        { id: pay, amount: 1000, currency: 'EUR', reference: 'ORD-1' },
        '2026-11-24T09:00:00Z',
      ),
      envelope(
        'payment_refunded',
        { id: pay, action_id: newId('act'), amount: 100, currency: 'EUR' },
        '2026-11-24T09:09:00.5Z',
      ),
    ];
    await runInDurableObject(subjectInbox(env, pay), (instance, state) => {
      instance.event('evt_warmup'); // runs the shard's migration
      const sql = state.storage.sql;
      for (const [n, e] of events.entries()) {
        recordPaymentEvent(sql, pay, e);
        const row = stored(sql, pay);
        expect(row.fold).not.toBeNull();
        expect(JSON.parse(row.json)).toEqual(projectPayment(pay, events.slice(0, n + 1)));
      }
      // A repeat delivery counts itself and leaves the projection as it was.
      const before = stored(sql, pay).json;
      recordPaymentEvent(sql, pay, events[0] as TestEvent);
      expect(stored(sql, pay).json).toBe(before);
      expect(JSON.parse(before)).toMatchObject({
        status: 'Partially Refunded',
        amount_captured: 400,
        events: 3,
      });
    });
  });

  it('rebuilds a projection stored before folds were kept from the subject events, at its next delivery', async () => {
    const pay = newId('pay');
    const approved = envelope(
      'payment_approved',
      { id: pay, amount: 700, currency: 'GBP' },
      '2026-11-24T09:00:00Z',
    );
    const captured = envelope(
      'payment_captured',
      { id: pay, action_id: newId('act'), amount: 700 },
      '2026-11-24T09:01:00Z',
    );
    await runInDurableObject(subjectInbox(env, pay), (instance, state) => {
      instance.event('evt_warmup');
      const sql = state.storage.sql;
      recordPaymentEvent(sql, pay, approved);
      // As a row written by the release before this one: a projection, no fold.
      sql.exec('UPDATE projection SET fold = NULL WHERE subject = ?', pay);
      recordPaymentEvent(sql, pay, captured);
      const row = stored(sql, pay);
      expect(JSON.parse(row.json)).toEqual(projectPayment(pay, [approved, captured]));
      expect(JSON.parse(row.json)).toMatchObject({ status: 'Captured', currency: 'GBP', events: 2 });
      expect(JSON.parse(row.fold ?? 'null')).toMatchObject({
        v: 1,
        types: ['payment_approved', 'payment_captured'],
      });
    });
  });

  it('adds the fold column to a projection table from before it existed, keeping its rows', async () => {
    const stub = env.WEBHOOK_INBOX.get(env.WEBHOOK_INBOX.idFromName(`shard:legacy-${newId('x')}`));
    await runInDurableObject(stub, (instance, state) => {
      const sql = state.storage.sql;
      sql.exec(
        'CREATE TABLE projection (subject TEXT PRIMARY KEY, kind TEXT NOT NULL, json TEXT NOT NULL, updated_at INTEGER NOT NULL)',
      );
      sql.exec("INSERT INTO projection VALUES ('pay_old', 'payment', '{\"id\":\"pay_old\"}', 1)");
      instance.event('evt_warmup'); // the migration
      expect(instance.projection('pay_old', 'payment')).toBe('{"id":"pay_old"}');
      expect(stored(sql, 'pay_old').fold).toBeNull();
    });
  });
});
