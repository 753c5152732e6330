import { envelope, newId, type TestEvent } from './helpers';

/** A payment or dispute's events in the order they happened, and the projection they must produce. */
export interface Scenario {
  subject: string;
  kind: 'payment' | 'dispute';
  events: TestEvent[];
  expected: Record<string, unknown>;
}

const t = (base: number, minutes: number) => new Date(base + minutes * 60_000).toISOString();

function balances(authorized: number, captured: number, refunded: number, voided = 0) {
  return {
    total_authorized: authorized,
    total_voided: voided,
    available_to_void: captured === 0 && voided === 0 ? authorized : 0,
    total_captured: captured,
    available_to_capture: voided > 0 ? 0 : authorized - captured,
    total_refunded: refunded,
    available_to_refund: captured - refunded,
  };
}

/** Payment scenarios covering every payment event type, partial captures and a re-sent refund action. */
export function paymentScenario(i: number, base = Date.UTC(2026, 10, 24, 9)): Scenario {
  const id = newId('pay');
  const amount = 1000 + i * 7;
  const common = { currency: 'EUR', reference: `ORD-${i}` };
  const approved = envelope(
    'payment_approved',
    { id, action_id: newId('act'), amount, ...common, response_code: '10000' },
    t(base, 0),
  );
  const action = (
    type: string,
    amt: number,
    b: Record<string, number>,
    at: number,
    actionId = newId('act'),
  ) => envelope(type, { id, action_id: actionId, amount: amt, ...common, balances: b }, t(base, at));
  switch (i % 5) {
    case 0: {
      // Two partial captures, one refund, and the refund's action re-sent under a new event id.
      const c1 = Math.floor(amount / 2);
      const refundAction = newId('act');
      return {
        subject: id,
        kind: 'payment',
        events: [
          approved,
          action('payment_captured', c1, balances(amount, c1, 0), 1),
          action('payment_captured', amount - c1, balances(amount, amount, 0), 2),
          action('payment_refunded', 300, balances(amount, amount, 300), 3, refundAction),
          action('payment_refunded', 300, balances(amount, amount, 300), 4, refundAction),
        ],
        expected: {
          status: 'Partially Refunded',
          amount_authorized: amount,
          amount_captured: amount,
          amount_refunded: 300,
          events: 5,
        },
      };
    }
    case 1:
      return {
        subject: id,
        kind: 'payment',
        events: [approved, action('payment_voided', amount, balances(amount, 0, 0, amount), 1)],
        expected: { status: 'Voided', amount_authorized: amount, amount_captured: 0, amount_voided: amount },
      };
    case 2:
      return {
        subject: id,
        kind: 'payment',
        events: [
          envelope(
            'payment_declined',
            { id, action_id: newId('act'), amount, ...common, response_code: '20051' },
            t(base, 0),
          ),
        ],
        expected: { status: 'Declined', amount_authorized: 0, amount_captured: 0, response_code: '20051' },
      };
    case 3:
      return {
        subject: id,
        kind: 'payment',
        events: [
          approved,
          action('payment_captured', amount, balances(amount, amount, 0), 1),
          action('payment_refunded', amount, balances(amount, amount, amount), 2),
        ],
        expected: { status: 'Refunded', amount_captured: amount, amount_refunded: amount },
      };
    default:
      return {
        subject: id,
        kind: 'payment',
        events: [
          envelope('card_verified', { id, action_id: newId('act'), amount: 0, ...common }, t(base, 0)),
          approved,
          action('payment_captured', amount - 100, balances(amount, amount - 100, 0), 1),
        ],
        expected: { status: 'Partially Captured', amount_authorized: amount, amount_captured: amount - 100 },
      };
  }
}

/** Dispute scenarios: received → evidence required → won or lost. */
export function disputeScenario(i: number, base = Date.UTC(2026, 10, 24, 12)): Scenario {
  const id = newId('dsp');
  const data = {
    id,
    category: 'fraudulent',
    amount: 500 + i,
    currency: 'GBP',
    reason_code: '10.4',
    payment_id: newId('pay'),
  };
  const outcome = i % 2 === 0 ? 'dispute_won' : 'dispute_lost';
  return {
    subject: id,
    kind: 'dispute',
    events: [
      envelope('dispute_received', data, t(base, 0)),
      envelope(
        'dispute_evidence_required',
        { ...data, evidence_required_by: t(base, 60 * 24 * 7) },
        t(base, 1),
      ),
      envelope(outcome, data, t(base, 60 * 24 * 10)),
    ],
    expected: {
      status: i % 2 === 0 ? 'won' : 'lost',
      amount: 500 + i,
      payment_id: data.payment_id,
      evidence_required_by: t(base, 60 * 24 * 7),
      events: 3,
    },
  };
}

/**
 * A busy payment: approved, six partial captures, five partial refunds and one refund action re-sent
 * under a new event id — 13 events on one subject, so concurrent deliveries really meet in one inbox.
 */
export function busyPaymentScenario(i: number, base = Date.UTC(2026, 10, 24, 9)): Scenario {
  const id = newId('pay');
  const amount = 8000 + i * 8;
  const part = amount / 8;
  const common = { currency: 'USD', reference: `BUSY-${i}` };
  const events: TestEvent[] = [
    envelope('payment_approved', { id, action_id: newId('act'), amount, ...common }, t(base, 0)),
  ];
  let captured = 0;
  for (let c = 1; c <= 6; c++) {
    captured += part;
    events.push(
      envelope(
        'payment_captured',
        { id, action_id: newId('act'), amount: part, ...common, balances: balances(amount, captured, 0) },
        t(base, c),
      ),
    );
  }
  let refunded = 0;
  let last: TestEvent | undefined;
  for (let r = 1; r <= 5; r++) {
    refunded += 100;
    last = envelope(
      'payment_refunded',
      { id, action_id: newId('act'), amount: 100, ...common, balances: balances(amount, captured, refunded) },
      t(base, 10 + r),
    );
    events.push(last);
  }
  if (last) events.push(envelope('payment_refunded', { ...last.data }, t(base, 20)));
  return {
    subject: id,
    kind: 'payment',
    events,
    expected: {
      status: 'Partially Refunded',
      amount_authorized: amount,
      amount_captured: captured,
      amount_refunded: 500,
      events: 13,
    },
  };
}
