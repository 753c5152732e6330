import * as z from 'zod/mini';
import type { EventType } from '../catalog';

/**
 * zod schemas for the `data` of the guide's ten events (facts §6). They are deliberately loose
 * (`z.looseObject`): Checkout.com adds fields over time, and an unknown field must never turn a real
 * event into a failure. Only what handlers and the projection read is typed. `zod/mini`: every delivery
 * parses them, so they are in the Worker's main module, where classic zod would cost about 9 KiB gzip.
 */

const amount = z.number().check(z.int(), z.nonnegative());
const currency = z.string().check(z.length(3));
const str = () => z.optional(z.string());
const optAmount = z.optional(amount);

const balances = z.looseObject({
  total_authorized: optAmount,
  total_voided: optAmount,
  available_to_void: optAmount,
  total_captured: optAmount,
  available_to_capture: optAmount,
  total_refunded: optAmount,
  available_to_refund: optAmount,
});

const paymentBaseShape = {
  id: z.string().check(z.startsWith('pay_')),
  action_id: str(),
  reference: str(),
  amount: optAmount,
  currency: z.optional(currency),
  processed_on: str(),
  response_code: str(),
  response_summary: str(),
  metadata: z.optional(z.record(z.string(), z.unknown())),
};

/** `payment_approved`, `payment_declined`, `card_verified`: the authorization result. */
const authorizationShape = {
  ...paymentBaseShape,
  auth_code: str(),
  payment_type: str(),
  customer: z.optional(z.looseObject({ id: str(), email: str() })),
  source: z.optional(z.looseObject({ id: str(), type: str(), scheme: str(), last_4: str() })),
};
const paymentAuthorization = z.looseObject(authorizationShape);

/** `payment_captured`, `payment_refunded`, `payment_voided`: one action and the payment's balances. */
const paymentAction = z.looseObject({
  ...paymentBaseShape,
  action_id: z.string(),
  amount,
  balances: z.optional(balances),
});

const dispute = z.looseObject({
  id: z.string().check(z.startsWith('dsp_')),
  category: str(),
  amount: optAmount,
  currency: z.optional(currency),
  reason_code: str(),
  payment_id: str(),
  payment_action_id: str(),
  payment_reference: str(),
  evidence_required_by: str(),
  resolved_reason: str(),
  date: str(),
});

export const EVENT_DATA_SCHEMAS = {
  payment_approved: paymentAuthorization,
  payment_declined: z.looseObject({
    ...authorizationShape,
    retry: z.optional(
      z.looseObject({ attempts_made: z.optional(z.number()), max_attempts: z.optional(z.number()) }),
    ),
  }),
  payment_captured: paymentAction,
  payment_refunded: paymentAction,
  payment_voided: paymentAction,
  card_verified: paymentAuthorization,
  dispute_received: dispute,
  dispute_evidence_required: dispute,
  dispute_won: dispute,
  dispute_lost: dispute,
} as const satisfies Record<EventType, z.ZodMiniType>;

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
