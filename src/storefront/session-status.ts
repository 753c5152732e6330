import type { CheckoutClient } from '../checkout';
import { pickSessionPayment, type SessionPaymentStatus } from './payment-outcome';
import type { SessionRecord } from './session-store';
import { webhookOutcome } from './webhook-outcome';

/**
 * What is known about the payment made through a payment session — read only, never a payment: what a
 * page polls after `504 upstream_outcome_unknown` from the submit.
 *
 * 1. A payment Bollard already saw for the session (a submit's answer, or an earlier poll): its webhook
 *    projection settles the answer when it says approved (a session pays at most once). A decline there
 *    does not: a later submit with another card may have paid, so Checkout.com is asked.
 * 2. Checkout.com: `GET /payments?reference=` with the session's order reference, narrowed to the
 *    payments made through this session (payment-outcome.ts).
 */
export interface SessionStatus {
  session_id: string;
  status: SessionPaymentStatus;
  payment_id?: string;
  source: 'webhook' | 'upstream';
}

/** Payments listed per reference: an order rarely has more than a few attempts. */
const LIST_LIMIT = 50;

export interface StatusLookup {
  status: SessionStatus;
  /** A payment id learned from Checkout.com that the session's record does not hold yet. */
  learned: string | null;
}

export async function lookUpSessionStatus(
  env: Env,
  client: CheckoutClient,
  session: SessionRecord,
  signal?: AbortSignal,
): Promise<StatusLookup> {
  if (session.paymentId !== null && (await webhookOutcome(env, session.paymentId)) === 'approved') {
    return {
      status: {
        session_id: session.id,
        status: 'approved',
        payment_id: session.paymentId,
        source: 'webhook',
      },
      learned: null,
    };
  }
  const res = await client.call<{ data?: unknown }>('listPayments', {
    query: { reference: session.reference, limit: LIST_LIMIT },
    ...(signal ? { signal } : {}),
  });
  const list = Array.isArray(res.body.data) ? res.body.data : [];
  const payment = pickSessionPayment(list, session);
  if (payment === null) {
    return { status: { session_id: session.id, status: 'unknown', source: 'upstream' }, learned: null };
  }
  return {
    status: { session_id: session.id, status: payment.status, payment_id: payment.id, source: 'upstream' },
    learned: payment.id === session.paymentId ? null : payment.id,
  };
}
