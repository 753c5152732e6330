import { EVENTS, type EventType } from '../../../src/catalog';

/** The guide's ten event types, which the simulator emits and `POST /_sim/trigger` accepts. */
export const GUIDE_EVENT_TYPES: readonly EventType[] = EVENTS.map((e) => e.type);

export function isGuideEventType(value: string): value is EventType {
  return (GUIDE_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Event names a workflow condition may list, by group (`events: { gateway: [...], dispute: [...] }`):
 * the full lists official integrations subscribe to (facts §6) plus the guide's `dispute_received`.
 * The simulator only emits the guide's ten, but a workflow written for the real API must be accepted.
 */
export const SUBSCRIBABLE_EVENTS: Readonly<Record<string, readonly string[]>> = {
  gateway: [
    'card_verified',
    'card_verification_declined',
    'payment_approved',
    'payment_pending',
    'payment_declined',
    'payment_expired',
    'payment_canceled',
    'payment_voided',
    'payment_void_declined',
    'payment_captured',
    'payment_capture_declined',
    'payment_capture_pending',
    'payment_refunded',
    'payment_refund_declined',
    'payment_refund_pending',
    'payment_paid',
    'payment_authorization_incremented',
    'payment_authorization_increment_declined',
    'payment_authentication_failed',
    'payment_returned',
    'payment_retry_scheduled',
    'payment_authorized',
  ],
  dispute: [
    'dispute_received',
    'dispute_evidence_required',
    'dispute_evidence_submitted',
    'dispute_canceled',
    'dispute_expired',
    'dispute_lost',
    'dispute_resolved',
    'dispute_won',
    'dispute_arbitration_won',
    'dispute_arbitration_lost',
  ],
};
