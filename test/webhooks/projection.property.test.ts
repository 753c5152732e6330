import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addToFold,
  disputeFromFold,
  emptyFold,
  type ProjectionEvent,
  type ProjectionFold,
  paymentFromFold,
  projectDispute,
  projectPayment,
} from '../../src/webhooks/projection';
import { disputeScenario, paymentScenario } from './scenarios';

const asInput = (
  events: Array<{ id: string; type: string; created_on: string; data: Record<string, unknown> }>,
) => events.map((e): ProjectionEvent => ({ id: e.id, type: e.type, created_on: e.created_on, data: e.data }));

/** A permutation of `items` with some of them repeated (at-least-once, unordered delivery). */
function deliveries<T>(items: T[]) {
  return fc
    .tuple(
      fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }),
      fc.array(fc.nat({ max: Math.max(0, items.length - 1) }), { maxLength: items.length * 2 }),
      fc.array(fc.nat(), { minLength: items.length * 3, maxLength: items.length * 3 }),
    )
    .map(([perm, repeats, positions]) => {
      const out = [...perm];
      repeats.forEach((r, k) => {
        const item = items[r] as T;
        out.splice((positions[k] ?? 0) % (out.length + 1), 0, item);
      });
      return out;
    });
}

describe('projection: any arrival order, any duplicates, same result', () => {
  for (let variant = 0; variant < 5; variant++) {
    it(`payment scenario ${variant}`, () => {
      const s = paymentScenario(variant);
      const reference = projectPayment(s.subject, asInput(s.events));
      expect(reference).toMatchObject(s.expected);
      fc.assert(
        fc.property(deliveries(s.events), (arrived) => {
          expect(projectPayment(s.subject, asInput(arrived))).toEqual(reference);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('every prefix of any order only moves forward (monotone amounts)', () => {
    const s = paymentScenario(0);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(s.events, { minLength: s.events.length, maxLength: s.events.length }),
        (order) => {
          let last = { amount_captured: 0, amount_refunded: 0, amount_authorized: 0 };
          for (let n = 1; n <= order.length; n++) {
            const p = projectPayment(s.subject, asInput(order.slice(0, n)));
            if (!p) throw new Error('no projection');
            expect(p.amount_captured).toBeGreaterThanOrEqual(last.amount_captured);
            expect(p.amount_refunded).toBeGreaterThanOrEqual(last.amount_refunded);
            expect(p.amount_authorized).toBeGreaterThanOrEqual(last.amount_authorized);
            last = p;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('dispute outcome is the same in any order', () => {
    for (const i of [0, 1]) {
      const s = disputeScenario(i);
      const reference = projectDispute(s.subject, asInput(s.events));
      expect(reference).toMatchObject(s.expected);
      fc.assert(
        fc.property(deliveries(s.events), (arrived) => {
          expect(projectDispute(s.subject, asInput(arrived))).toEqual(reference);
        }),
        { numRuns: 100 },
      );
    }
  });

  it('a capture that arrives before its approval still yields Captured with the full authorization', () => {
    const s = paymentScenario(3);
    const [approved, captured] = s.events;
    if (!approved || !captured) throw new Error('scenario shape');
    const p = projectPayment(s.subject, asInput([captured]));
    expect(p).toMatchObject({ status: 'Captured', amount_captured: captured.data.amount });
    expect(projectPayment(s.subject, asInput([captured, approved]))).toMatchObject({ status: 'Captured' });
  });

  it('a second payment_refunded for the same action_id counts once', () => {
    const s = paymentScenario(0);
    const refunds = s.events.filter((e) => e.type === 'payment_refunded');
    expect(refunds).toHaveLength(2);
    expect(refunds[0]?.id).not.toBe(refunds[1]?.id);
    expect(projectPayment(s.subject, asInput(s.events))?.amount_refunded).toBe(300);
    // Even without balances to lean on, the sum is over distinct action ids.
    const bare = s.events.map((e) => ({ ...e, data: { ...e.data, balances: undefined } }));
    expect(projectPayment(s.subject, asInput(bare))?.amount_refunded).toBe(300);
  });
});

/** Arbitrary events about one payment or dispute: few times and ids, so ties and repeats are common. */
const arbitraryEvent = fc.record({
  id: fc.constantFrom('evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e', 'evt_f'),
  type: fc.constantFrom(
    'payment_approved',
    'payment_declined',
    'card_verified',
    'payment_captured',
    'payment_refunded',
    'payment_voided',
    'dispute_received',
    'dispute_evidence_required',
    'dispute_won',
    'dispute_lost',
  ),
  created_on: fc.constantFrom('2026-11-24T09:00:00Z', '2026-11-24T09:00:00.000Z', '2026-11-24T09:00:00.5Z'),
  data: fc.record(
    {
      action_id: fc.constantFrom('act_1', 'act_2', '__proto__'),
      amount: fc.nat({ max: 2000 }),
      currency: fc.constantFrom('EUR', 'GBP'),
      reference: fc.string({ maxLength: 4 }),
      response_code: fc.constantFrom('10000', '20005'),
      payment_id: fc.constantFrom('pay_1', 'pay_2'),
      balances: fc.record({ total_captured: fc.nat({ max: 2000 }), total_refunded: fc.nat({ max: 2000 }) }),
    },
    { requiredKeys: [] },
  ),
});

describe('projection fold: what an inbox shard stores and adds each first delivery to', () => {
  it('adding events one at a time to the stored fold (JSON between adds) equals projecting the set', () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { minLength: 1, maxLength: 12 }), (arrived) => {
        // The shard stores one row per event id, the first delivery's.
        const stored = [...new Map(arrived.map((e) => [e.id, e])).values()];
        let text = JSON.stringify(emptyFold());
        for (const e of stored) {
          const fold = JSON.parse(text) as ProjectionFold;
          addToFold(fold, e);
          text = JSON.stringify(fold);
        }
        const fold = JSON.parse(text) as ProjectionFold;
        expect(paymentFromFold('pay_x', fold)).toEqual(projectPayment('pay_x', [...stored].reverse()));
        expect(disputeFromFold('dsp_x', fold)).toEqual(projectDispute('dsp_x', [...stored].reverse()));
      }),
      { numRuns: 500 },
    );
  });

  it('a repeated id changes nothing, and equal times are ordered by id whatever the arrival order', () => {
    const at = '2026-11-24T09:00:00Z';
    const eur = {
      id: 'evt_b',
      type: 'payment_approved',
      created_on: at,
      data: { currency: 'EUR', amount: 5 },
    };
    const gbp = {
      id: 'evt_a',
      type: 'payment_approved',
      created_on: at,
      data: { currency: 'GBP', amount: 5 },
    };
    const fold = emptyFold();
    expect(addToFold(fold, eur)).toBe(true);
    expect(addToFold(fold, gbp)).toBe(true);
    expect(addToFold(fold, { ...gbp, data: { currency: 'USD' } })).toBe(false);
    const p = paymentFromFold('pay_x', fold);
    expect(p).toMatchObject({ currency: 'EUR', events: 2 });
    expect(p?.timeline.map((e) => e.event_id)).toEqual(['evt_a', 'evt_b']);
    expect(projectPayment('pay_x', [gbp, eur])).toEqual(p);
  });
});
