import { SESSION_MARKER_FIELD } from './payment-outcome';
import type { ResolvedOrder } from './policy';
import type { PaymentLinkRequest, PaymentSessionRequest } from './schemas';
import type { StorefrontSettings } from './settings';

/**
 * Builds the bodies Bollard sends to Checkout.com field by field from validated input — never by
 * spreading what the browser sent — and applies the merchant's server-side settings last, so nothing a
 * browser sends can override them.
 */

function merchantDefaults(settings: StorefrontSettings): Record<string, unknown> {
  return {
    ...(settings.processingChannelId ? { processing_channel_id: settings.processingChannelId } : {}),
    payment_type: 'Regular',
    capture: true,
  };
}

function optional<T>(key: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [key]: value };
}

/**
 * `marker` goes into the session's metadata, which the payment made through it carries: it is how the
 * status route tells this session's payment from others under the same order reference.
 */
export function paymentSessionBody(
  input: PaymentSessionRequest,
  order: ResolvedOrder,
  settings: StorefrontSettings,
  marker: string,
): Record<string, unknown> {
  return {
    amount: order.amount,
    currency: order.currency,
    reference: order.reference,
    billing: input.billing,
    ...optional('customer', input.customer),
    ...optional('description', input.description),
    ...optional('locale', input.locale),
    success_url: input.success_url,
    failure_url: input.failure_url,
    metadata: { [SESSION_MARKER_FIELD]: marker },
    ...merchantDefaults(settings),
  };
}

export function paymentLinkBody(
  input: PaymentLinkRequest,
  order: ResolvedOrder,
  settings: StorefrontSettings,
): Record<string, unknown> {
  return {
    amount: order.amount,
    currency: order.currency,
    reference: order.reference,
    billing: input.billing,
    ...optional('customer', input.customer),
    ...optional('description', input.description),
    ...optional('locale', input.locale),
    ...optional('return_url', input.return_url),
    ...optional('expires_in', input.expires_in),
    ...merchantDefaults(settings),
  };
}
