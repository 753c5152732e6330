import type { EventDefinition } from './types';

/** The guide's ten webhook event types and what triggers each. */
export const EVENTS: readonly EventDefinition[] = [
  {
    type: 'payment_approved',
    signals: 'A payment authorization, or a payout, was approved.',
    triggeredBy: ['/payments'],
    subject: 'payment',
  },
  {
    type: 'payment_declined',
    signals: 'A payment authorization was declined, for example by the issuer.',
    triggeredBy: ['/payments'],
    subject: 'payment',
  },
  {
    type: 'payment_captured',
    signals: 'A capture was successful and the authorized funds were collected.',
    triggeredBy: ['/payments/{id}/captures'],
    subject: 'payment',
  },
  {
    type: 'payment_refunded',
    signals: 'A refund was successful and funds were returned to the cardholder.',
    triggeredBy: ['/payments/{id}/refunds'],
    subject: 'payment',
  },
  {
    type: 'payment_voided',
    signals: 'A void was successful and the authorization was released before capture.',
    triggeredBy: ['/payments/{id}/voids'],
    subject: 'payment',
  },
  {
    type: 'card_verified',
    signals: 'A card verification was successful, confirming the card without taking a payment.',
    triggeredBy: ['/payments'],
    subject: 'payment',
  },
  {
    type: 'dispute_received',
    signals: 'A new dispute was raised against a payment, opening a window to respond.',
    triggeredBy: [],
    subject: 'dispute',
  },
  {
    type: 'dispute_evidence_required',
    signals: 'A dispute needs evidence to be submitted before its deadline, or it will be lost by default.',
    triggeredBy: [],
    subject: 'dispute',
  },
  {
    type: 'dispute_won',
    signals: "A dispute was resolved in the merchant's favour and the funds were retained.",
    triggeredBy: ['/disputes/{id}/accept', '/disputes/{id}/evidence'],
    subject: 'dispute',
  },
  {
    type: 'dispute_lost',
    signals: 'A dispute was resolved against the merchant and the funds were returned to the cardholder.',
    triggeredBy: ['/disputes/{id}/accept'],
    subject: 'dispute',
  },
];
