import { createHmac } from 'node:crypto';
import { DEV_CREDENTIALS } from '../src/dev/credentials';

/**
 * Signed `payment_captured` deliveries for the webhook benches (webhooks, npmstart): a fresh event id per
 * call (a repeat would be a cheap duplicate), signed with the dev workflow's key. Payments come and go as
 * a shop's do: each gets EVENTS_PER_PAYMENT deliveries, one after another, then the next payment takes
 * over, so subjects stay the size real ones are (hashed over the inbox shards) rather than growing for as
 * long as the bench runs. Both sides of a comparison get the same bodies: a synchronous HMAC of ~1.3 KiB
 * costs the load generator microseconds.
 */
export const WEBHOOK_KEY = DEV_CREDENTIALS.webhookSigningKey;
/** A payment's deliveries: approved, captured, and a refund or two is a typical life. */
export const EVENTS_PER_PAYMENT = 4;

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
function id(prefix: string): string {
  let s = '';
  for (const b of crypto.getRandomValues(new Uint8Array(26))) s += alphabet[b & 31];
  return `${prefix}_${s}`;
}

/** A realistic `payment_captured` delivery (~1.3 KiB), with a fresh event id. */
function captured(paymentId: string): string {
  const eventId = id('evt');
  return JSON.stringify({
    id: eventId,
    type: 'payment_captured',
    version: '1.0.29',
    created_on: new Date().toISOString(),
    data: {
      id: paymentId,
      action_id: id('act'),
      reference: 'ORD-5023-4E89',
      amount: 1000,
      currency: 'EUR',
      processed_on: new Date().toISOString(),
      response_code: '10000',
      response_summary: 'Approved',
      balances: {
        total_authorized: 1000,
        total_voided: 0,
        available_to_void: 0,
        total_captured: 1000,
        available_to_capture: 0,
        total_refunded: 0,
        available_to_refund: 1000,
      },
      metadata: { order: '5023', channel: 'web' },
      processing: { acquirer_transaction_id: '8367314942', acquirer_reference_number: '000220552364' },
      event_links: {
        payment: `https://api.sandbox.checkout.com/payments/${paymentId}`,
        payment_actions: `https://api.sandbox.checkout.com/payments/${paymentId}/actions`,
      },
    },
    _links: {
      self: { href: `https://api.sandbox.checkout.com/workflows/events/${eventId}` },
      subject: { href: `https://api.sandbox.checkout.com/workflows/events/subject/${paymentId}` },
    },
  });
}

let next = 0;
let payment = id('pay');

/** The next signed delivery, as `fetch` init. */
export function delivery(): RequestInit {
  if (next++ % EVENTS_PER_PAYMENT === 0) payment = id('pay');
  const body = captured(payment);
  const signature = createHmac('sha256', WEBHOOK_KEY).update(body).digest('hex');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cko-signature': signature },
    body,
  };
}

/** POSTs one delivery to `url`, reads the answer, and says whether it was a 200. */
export async function deliverTo(url: string): Promise<boolean> {
  const res = await fetch(url, delivery());
  await res.arrayBuffer();
  return res.status === 200;
}
