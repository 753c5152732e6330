import type { PaymentProjection } from '../webhooks/projection';
import { subjectInbox } from '../webhooks/stubs';
import { outcomeOf, type SessionPaymentStatus } from './payment-outcome';

/**
 * A payment's outcome as the webhook projection has it (src/webhooks/projection.ts: one record per
 * payment id, built from the events Checkout.com delivered), read-only. Best-effort and bounded: the
 * status route falls back to reading Checkout.com when the inbox has nothing, or does not answer in time.
 */

/** How long the status route waits for the inbox before asking Checkout.com instead. */
const INBOX_READ_TIMEOUT_MS = 1_500;

export async function webhookOutcome(env: Env, paymentId: string): Promise<SessionPaymentStatus | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), INBOX_READ_TIMEOUT_MS);
  });
  try {
    const stored = await Promise.race([
      subjectInbox(env, paymentId).projection(paymentId, 'payment'),
      timeout,
    ]);
    if (stored === null) return null;
    const projection = JSON.parse(stored) as Pick<PaymentProjection, 'status'>;
    return outcomeOf(projection.status);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
