import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTimeKey } from '../../src/webhooks/event-time';
import { type ProjectionEvent, projectPayment } from '../../src/webhooks/projection';

/** An instant as exact nanoseconds since the epoch, and one of its many `created_on` spellings. */
interface Spelled {
  ns: bigint;
  text: string;
}

const BASE = Date.UTC(2026, 10, 24, 9);

/**
 * A time within a few seconds of BASE, spelled with 0–9 fractional digits (trailing zeros as Checkout.com
 * sends them, or trimmed) and either `Z` or an equivalent offset.
 */
const spelled: fc.Arbitrary<Spelled> = fc
  .record({
    second: fc.integer({ min: 0, max: 3 }),
    digits: fc.integer({ min: 0, max: 9 }),
    fraction: fc.integer({ min: 0, max: 999_999_999 }),
    offsetMinutes: fc.constantFrom(0, 0, 60, -150, 330),
  })
  .map(({ second, digits, fraction, offsetMinutes }) => {
    const frac = String(fraction).padStart(9, '0').slice(0, digits);
    const ns = BigInt(BASE + second * 1000) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
    const local = new Date(BASE + second * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const zone =
      offsetMinutes === 0
        ? 'Z'
        : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return { ns, text: `${local}${digits > 0 ? `.${frac}` : ''}${zone}` };
  });

describe('event time: created_on parsed, not compared as text', () => {
  it('the known case: …00.12Z is before …00.1234567Z (as text it sorts after)', () => {
    const a = '2026-11-24T09:00:00.12Z';
    const b = '2026-11-24T09:00:00.1234567Z';
    expect(b < a).toBe(true); // why this file exists
    expect(eventTimeKey(a) < eventTimeKey(b)).toBe(true);
    expect(eventTimeKey('2026-11-24T10:00:00+01:00')).toBe(eventTimeKey('2026-11-24T09:00:00.000Z'));
  });

  it('key order is time order, for any number of fractional digits and any offset', () => {
    fc.assert(
      fc.property(spelled, spelled, (a, b) => {
        const ka = eventTimeKey(a.text);
        const kb = eventTimeKey(b.text);
        if (a.ns === b.ns) expect(ka).toBe(kb);
        else expect(ka < kb).toBe(a.ns < b.ns);
      }),
      { numRuns: 2000 },
    );
  });

  it('the projection timeline is in time order whatever the spelling and arrival order', () => {
    fc.assert(
      fc.property(fc.array(spelled, { minLength: 2, maxLength: 12 }), (times) => {
        const events: ProjectionEvent[] = times.map((t, i) => ({
          id: `evt_${String(i).padStart(3, '0')}`,
          type: i === 0 ? 'payment_approved' : 'payment_captured',
          created_on: t.text,
          data: { id: 'pay_x', amount: 1, action_id: `act_${i}` },
        }));
        const projected = projectPayment('pay_x', events);
        const order = (projected?.timeline ?? []).map((e) => e.event_id);
        const expected = events
          .map((e, i) => ({ id: e.id, ns: times[i]?.ns ?? 0n }))
          .sort((x, y) => (x.ns === y.ns ? (x.id < y.id ? -1 : 1) : x.ns < y.ns ? -1 : 1))
          .map((e) => e.id);
        expect(order).toEqual(expected);
        // The same set in reverse arrival order gives the same projection.
        expect(projectPayment('pay_x', [...events].reverse())).toEqual(projected);
      }),
      { numRuns: 500 },
    );
  });
});
