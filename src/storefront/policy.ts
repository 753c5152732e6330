import { BollardError } from '../http';
import { type Order, type OrderTokenKeys, type VerifiedOrder, verifyOrderToken } from './order-token';
import { normaliseOrigin, type StorefrontSettings } from './settings';

/**
 * What a browser may ask for: where the money comes from (an order token, or bounded amounts in open
 * mode) and where a customer may be sent back to. Pure except for token verification (WebCrypto).
 */

export interface OrderFields {
  order_token?: string | undefined;
  amount?: number | undefined;
  currency?: string | undefined;
  reference?: string | undefined;
}

export interface ResolvedOrder extends Order {
  /** Present when the order came from a token: its `jti` and expiry, for the replay guard. */
  token: { jti: string; expiresAtMs: number } | null;
}

function invalid(code: string, message: string): BollardError {
  return new BollardError('request_invalid', { codes: [code], message });
}

function checkCurrency(currency: string, settings: StorefrontSettings): void {
  if (!settings.currencies.has(currency)) {
    throw invalid(
      'currency_not_allowed',
      `currency must be one of ${[...settings.currencies.keys()].join(', ')}`,
    );
  }
}

function fromToken(v: VerifiedOrder): ResolvedOrder {
  return {
    amount: v.amount,
    currency: v.currency,
    reference: v.reference,
    token: { jti: v.jti, expiresAtMs: v.exp * 1000 },
  };
}

/**
 * Resolves the order a request may create. Signed mode: a valid order token is required and the body may
 * not carry amount, currency or reference (the merchant decides them). Open mode: a token is still honoured
 * when sent; otherwise amount and currency come from the body, within the currency's min/max.
 */
export async function resolveOrder(
  fields: OrderFields,
  settings: StorefrontSettings,
  keys: OrderTokenKeys,
  now: number,
): Promise<ResolvedOrder> {
  const browserMoney = (['amount', 'currency', 'reference'] as const).filter((k) => fields[k] !== undefined);
  if (fields.order_token !== undefined) {
    if (browserMoney.length > 0) {
      throw new BollardError('request_invalid', {
        codes: browserMoney.map((k) => `${k}_not_allowed`),
        message: `${browserMoney.join(', ')} come from the order token; do not send them beside it`,
      });
    }
    const verified = await verifyOrderToken(fields.order_token, keys, {
      now,
      maxTtlSeconds: settings.orderTokenMaxTtlSeconds,
    });
    checkCurrency(verified.currency, settings);
    return fromToken(verified);
  }
  if (settings.orderMode === 'signed') {
    if (browserMoney.length > 0) {
      throw new BollardError('request_invalid', {
        codes: ['order_token_required', ...browserMoney.map((k) => `${k}_not_allowed`)],
        message: 'this storefront takes amounts only from an order token signed by the merchant backend',
      });
    }
    throw invalid('order_token_required', 'an order token signed by the merchant backend is required');
  }
  if (fields.amount === undefined) throw invalid('amount_required', 'amount (minor units) is required');
  if (fields.currency === undefined) throw invalid('currency_required', 'currency is required');
  checkCurrency(fields.currency, settings);
  const limits = settings.currencies.get(fields.currency);
  if (limits && (fields.amount < limits.min || fields.amount > limits.max)) {
    throw invalid(
      'amount_out_of_range',
      `amount must be between ${limits.min} and ${limits.max} ${fields.currency} minor units`,
    );
  }
  return {
    amount: fields.amount,
    currency: fields.currency,
    reference: fields.reference ?? `sf-${crypto.randomUUID().slice(0, 18)}`,
    token: null,
  };
}

/**
 * Refuses a redirect target outside the storefront origins (no open redirects). Compares parsed origins,
 * so `https://shop.example.evil.com` or `https://shop.example@evil.com` do not pass for `https://shop.example`.
 */
export function checkRedirectUrl(
  field: string,
  value: string | undefined,
  settings: StorefrontSettings,
): void {
  if (value === undefined) return;
  const origin = normaliseOrigin(value);
  if (!origin || !settings.origins.includes(origin)) {
    throw invalid(`${field}_not_allowed`, `${field} must be on one of the storefront origins`);
  }
  if (new URL(value).username || new URL(value).password) {
    throw invalid(`${field}_not_allowed`, `${field} must not carry credentials`);
  }
}
