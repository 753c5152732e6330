import * as z from 'zod';
import type { EventType } from '../catalog';

/**
 * zod schemas for the `data` of the guide's ten events (facts §6). They are deliberately loose
 * (`z.looseObject`): Checkout.com adds fields over time, and an unknown field must never turn a real
 * event into a failure. Only what handlers and the projection read is typed.
 */

const amount = z.number().int().nonnegative();
const currency = z.string().length(3);

const balances = z.looseObject({
  total_authorized: amount.optional(),
  total_voided: amount.optional(),
  available_to_void: amount.optional(),
  total_captured: amount.optional(),
  available_to_capture: amount.optional(),
  total_refunded: amount.optional(),
  available_to_refund: amount.optional(),
});

const paymentBase = z.looseObject({
  id: z.string().startsWith('pay_'),
  action_id: z.string().optional(),
  reference: z.string().optional(),
  amount: amount.optional(),
  currency: currency.optional(),
  processed_on: z.string().optional(),
  response_code: z.string().optional(),
  response_summary: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** `payment_approved`, `payment_declined`, `card_verified`: the authorization result. */
const paymentAuthorization = paymentBase.extend({
  auth_code: z.string().optional(),
  payment_type: z.string().optional(),
  customer: z.looseObject({ id: z.string().optional(), email: z.string().optional() }).optional(),
  source: z
    .looseObject({
      id: z.string().optional(),
      type: z.string().optional(),
      scheme: z.string().optional(),
      last_4: z.string().optional(),
    })
    .optional(),
});

/** `payment_captured`, `payment_refunded`, `payment_voided`: one action and the payment's balances. */
const paymentAction = paymentBase.extend({
  action_id: z.string(),
  amount,
  balances: balances.optional(),
});

const dispute = z.looseObject({
  id: z.string().startsWith('dsp_'),
  category: z.string().optional(),
  amount: amount.optional(),
  currency: currency.optional(),
  reason_code: z.string().optional(),
  payment_id: z.string().optional(),
  payment_action_id: z.string().optional(),
  payment_reference: z.string().optional(),
  evidence_required_by: z.string().optional(),
  resolved_reason: z.string().optional(),
  date: z.string().optional(),
});

export const EVENT_DATA_SCHEMAS = {
  payment_approved: paymentAuthorization,
  payment_declined: paymentAuthorization.extend({
    retry: z
      .looseObject({ attempts_made: z.number().optional(), max_attempts: z.number().optional() })
      .optional(),
  }),
  payment_captured: paymentAction,
  payment_refunded: paymentAction,
  payment_voided: paymentAction,
  card_verified: paymentAuthorization,
  dispute_received: dispute,
  dispute_evidence_required: dispute,
  dispute_won: dispute,
  dispute_lost: dispute,
} as const satisfies Record<EventType, z.ZodType>;

/** The typed `data` of each known event type. */
export type EventDataMap = { [T in EventType]: z.infer<(typeof EVENT_DATA_SCHEMAS)[T]> };

export function isKnownEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_DATA_SCHEMAS, type);
}

export type DataCheck =
  | { ok: true; known: boolean; data: Record<string, unknown> }
  | { ok: false; issues: string[] };

/** Validates `data` against its type's schema; unknown types pass through untyped (forward-compatible). */
export function checkEventData(type: string, data: Record<string, unknown>): DataCheck {
  if (!isKnownEventType(type)) return { ok: true, known: false, data };
  const parsed = EVENT_DATA_SCHEMAS[type].safeParse(data);
  if (parsed.success) return { ok: true, known: true, data: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => `data.${i.path.join('.')}`) };
}
