import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, type EventType } from '../../src/catalog';
import { handlers } from '../../src/webhooks';
import { adminJson, body, deliver, listAll, settle, shuffle, type TestEvent } from './helpers';
import { busyPaymentScenario, disputeScenario, paymentScenario, type Scenario } from './scenarios';

const ALL: EventType[] = EVENTS.map((e) => e.type);

/** How many times each event id reached a handler — counted in the handler itself. */
const handled = new Map<string, number>();

beforeAll(() => {
  handlers.on(ALL, 'test-count', ({ event }) => {
    handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
  });
});
afterAll(() => {
  handlers.off('test-count');
});

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe('1,000 deliveries: 30% duplicates (a third concurrent), shuffled', () => {
  it('hands every event to its handlers exactly once and gets every projection right', {
    timeout: 180_000,
  }, async () => {
    const scenarios: Scenario[] = [];
    let unique = 0;
    // Few subjects, many events each: every new Durable Object costs the local runtime dearly (each has its
    // own SQLite file), and many events per inbox is where concurrent deliveries really meet.
    for (let i = 0; i < 5; i++) {
      const s = paymentScenario(i);
      scenarios.push(s);
      unique += s.events.length;
    }
    for (let i = 0; unique < 650; i++) {
      const s = busyPaymentScenario(i);
      scenarios.push(s);
      unique += s.events.length;
    }
    for (let i = 0; unique < 700; i++) {
      const s = disputeScenario(i);
      scenarios.push(s);
      unique += s.events.length;
    }
    const events: TestEvent[] = shuffle(
      scenarios.flatMap((s) => s.events),
      20261124,
    );
    expect(events.length).toBe(unique);
    const duplicates = 1000 - unique;
    const dupEvents = shuffle(events, 7).slice(0, duplicates);
    const concurrentDup = new Set(dupEvents.slice(0, Math.round(duplicates / 3)).map((e) => e.id));
    const lateDup = dupEvents.slice(Math.round(duplicates / 3));

    // Round 1: every event once, in shuffled order; a third of the duplicates race their original.
    const acks = new Map<string, boolean[]>();
    const send = async (e: TestEvent) => {
      const res = await deliver(body(e));
      expect(res.status).toBe(200);
      const ack = (await res.json()) as { duplicate: boolean };
      acks.set(e.id, [...(acks.get(e.id) ?? []), ack.duplicate]);
    };
    await inBatches(events, 32, async (e) => {
      await Promise.all(concurrentDup.has(e.id) ? [send(e), send(e)] : [send(e)]);
    });
    const subjects = scenarios.map((s) => s.subject);
    await settle(subjects, unique);

    // Round 2: the rest of the duplicates, long after their originals were processed.
    await inBatches(lateDup, 32, send);
    await settle(subjects, unique);

    let deliveries = 0;
    for (const list of acks.values()) deliveries += list.length;
    expect(deliveries).toBe(1000);
    // Exactly one delivery of each event was the first; every other one was acknowledged as a duplicate.
    for (const [id, list] of acks)
      expect(
        list.filter((d) => !d),
        id,
      ).toHaveLength(1);

    expect(handled.size).toBe(unique);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);

    // Other files' events may share this runtime's store (vitest.config.ts): these are this run's.
    const ours = new Set(events.map((e) => e.id));
    const listed = (
      await listAll<{ id: string; status: string; deliveries: number }>('/admin/events')
    ).filter((e) => ours.has(e.id));
    expect(listed).toHaveLength(unique);
    expect(listed.every((e) => e.status === 'processed')).toBe(true);
    expect(listed.reduce((n, e) => n + e.deliveries, 0)).toBe(1000);

    for (const s of scenarios) {
      const projection = await adminJson<Record<string, unknown>>(
        `/admin/${s.kind === 'payment' ? 'payments' : 'disputes'}/${s.subject}`,
      );
      expect(projection, s.subject).toMatchObject({ id: s.subject, ...s.expected });
    }
  });
});
