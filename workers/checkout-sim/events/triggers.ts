import type { EventType } from '../../../src/catalog';
import type { SimContext } from '../lib/context';
import { newId } from '../lib/ids';
import { capture, createPayment, refund, voidPayment } from '../routes/payments-engine';
import type { PaymentRow } from '../routes/payments-store';
import { acceptDispute, raiseDispute, stageEvidence, submitEvidence } from './dispute-actions';
import type { Dispute } from './disputes';

/** What `POST /_sim/trigger` made: the objects and every event emitted on the way, in order. */
export interface TriggerResult {
  type: EventType;
  payment_id: string;
  dispute_id?: string;
  events: { id: string; type: string }[];
}

/** The documented approving and declining sandbox cards (facts §5). */
const APPROVE = '4242424242424242';
const DECLINE = '4544249167673670';

function pay(sim: SimContext, opts: { number: string; amount: number; capture: boolean }): PaymentRow {
  const year = new Date(sim.now()).getUTCFullYear() + 3;
  return createPayment(sim, {
    amount: opts.amount,
    currency: 'GBP',
    reference: `trigger-${Math.floor(sim.now() / 1000)}`,
    description: 'Created by POST /_sim/trigger',
    capture: opts.capture,
    paymentType: 'Regular',
    card: { number: opts.number, expiry_month: 12, expiry_year: year, cvv: '100', name: 'Trigger Test' },
    sourceId: newId('src'),
  });
}

/** A step of a trigger cannot be refused (it builds its own valid state); if one is, that is a bug. */
function must<R extends { ok: true } | { ok: false; codes: string[] }>(result: R): Extract<R, { ok: true }> {
  if (result.ok) return result as Extract<R, { ok: true }>;
  throw new Error(`trigger step refused: ${'codes' in result ? result.codes.join(',') : ''}`);
}

function capturedPayment(sim: SimContext): PaymentRow {
  return pay(sim, { number: APPROVE, amount: 4999, capture: true });
}

function openDispute(sim: SimContext): Dispute {
  return must(raiseDispute(sim, capturedPayment(sim).id, 'product_service_not_received')).dispute;
}

/**
 * Makes the simulator emit a realistic event of `type`, creating the state it needs through the same
 * engine functions the API routes call (so every event on the way is emitted too, as on the real API:
 * `payment_captured` follows a `payment_approved`, a won dispute follows its `dispute_received`).
 */
export function trigger(sim: SimContext, type: EventType): TriggerResult {
  const before = sim.sql
    .exec<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM sim_events')
    .one().seq;
  let paymentId: string;
  let disputeId: string | undefined;
  switch (type) {
    case 'payment_approved':
      paymentId = pay(sim, { number: APPROVE, amount: 2500, capture: false }).id;
      break;
    case 'payment_declined':
      paymentId = pay(sim, { number: DECLINE, amount: 2500, capture: false }).id;
      break;
    case 'card_verified':
      paymentId = pay(sim, { number: APPROVE, amount: 0, capture: false }).id;
      break;
    case 'payment_captured': {
      const row = pay(sim, { number: APPROVE, amount: 2500, capture: false });
      must(capture(sim, row, {}));
      paymentId = row.id;
      break;
    }
    case 'payment_refunded': {
      const row = capturedPayment(sim);
      must(refund(sim, row, {}));
      paymentId = row.id;
      break;
    }
    case 'payment_voided': {
      const row = pay(sim, { number: APPROVE, amount: 2500, capture: false });
      must(voidPayment(sim, row, {}));
      paymentId = row.id;
      break;
    }
    case 'dispute_received':
    case 'dispute_evidence_required': {
      const d = openDispute(sim);
      paymentId = d.payment.id;
      disputeId = d.id;
      break;
    }
    case 'dispute_won': {
      const d = openDispute(sim);
      const staged = must(
        stageEvidence(sim, d, {
          proof_of_delivery_or_service_text: 'Signed for by the cardholder on delivery.',
        }),
      ).dispute;
      must(submitEvidence(sim, staged));
      paymentId = d.payment.id;
      disputeId = d.id;
      break;
    }
    case 'dispute_lost': {
      const d = openDispute(sim);
      must(acceptDispute(sim, d));
      paymentId = d.payment.id;
      disputeId = d.id;
      break;
    }
  }
  const events = sim.sql
    .exec<{ id: string; type: string }>('SELECT id, type FROM sim_events WHERE seq > ? ORDER BY seq', before)
    .toArray()
    .map((e) => ({ id: e.id, type: e.type }));
  return { type, payment_id: paymentId, ...(disputeId ? { dispute_id: disputeId } : {}), events };
}
