import type { SimContext } from '../lib/context';
import { getPayment, listActions } from '../routes/payments-store';

/** What a dispute needs to know about the payment it is raised on. */
export interface DisputablePayment {
  id: string;
  /** The capture action the dispute contests. */
  actionId: string;
  reference?: string;
  processingChannelId?: string;
  /** Captured minus refunded: the most a dispute can claim. */
  disputableAmount: number;
  /** The payment's amount. */
  amount: number;
  currency: string;
  /** Card scheme, lowercase (`visa`), as dispute bodies write `payment_method`. */
  method: string;
  hasRefund: boolean;
  processedOn: string;
}

export type PaymentLookup =
  | { ok: true; payment: DisputablePayment }
  | { ok: false; reason: 'not_found' | 'not_captured' };

/** A payment a dispute can be raised on: it exists and has captured funds not yet refunded. */
export function findDisputablePayment(sim: SimContext, id: string): PaymentLookup {
  const p = getPayment(sim.sql, id);
  if (!p) return { ok: false, reason: 'not_found' };
  const disputable = p.balances.total_captured - p.balances.total_refunded;
  const capture = listActions(sim.sql, id).find((a) => a.type === 'Capture');
  if (disputable <= 0 || !capture) return { ok: false, reason: 'not_captured' };
  const scheme = typeof p.source.scheme === 'string' ? p.source.scheme.toLowerCase() : 'card';
  return {
    ok: true,
    payment: {
      id: p.id,
      actionId: capture.id,
      ...(p.reference ? { reference: p.reference } : {}),
      processingChannelId: p.processing_channel_id,
      disputableAmount: disputable,
      amount: p.amount,
      currency: p.currency,
      method: scheme,
      hasRefund: p.balances.total_refunded > 0,
      processedOn: new Date(capture.processed_on).toISOString(),
    },
  };
}
