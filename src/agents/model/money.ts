import type { CatalogEntry } from '../../catalog';
import type { CheckoutClient, UpstreamResponse } from '../../checkout/contract';

/** Amount and currency of a money-moving call, as far as they are known. */
export interface MoneyFacts {
  amount: number | null;
  currency: string | null;
}

const NONE: MoneyFacts = { amount: null, currency: null };

function obj(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function int(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function code(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) ? value : null;
}

/**
 * What the request body itself says: `amount` + `currency` for payments, `source.amount` (+
 * `source.currency`, else `currency`) for transfers, `amount` alone for captures, refunds and
 * authorization increments (their currency is the payment's). Accepting a dispute states neither.
 */
export function moneyInBody(entry: CatalogEntry, body: unknown): MoneyFacts {
  if (!entry.movesMoney) return NONE;
  const b = obj(body);
  if (!b) return NONE;
  if (entry.name === 'createTransfer') {
    const source = obj(b.source);
    return { amount: int(source?.amount), currency: code(source?.currency) ?? code(b.currency) };
  }
  return { amount: int(b.amount), currency: code(b.currency) };
}

export type MoneyResolution =
  | { kind: 'known'; money: { amount: number; currency: string } }
  | { kind: 'unknown' }
  /** The lookup itself answered with an error (e.g. 404 for an unknown payment): pass it through. */
  | { kind: 'upstream'; response: UpstreamResponse };

const PAYMENT_ACTIONS = ['capturePayment', 'refundPayment', 'incrementAuthorization'];

/** Whether `resolveMoney` has to read the payment or dispute (the body does not say everything). */
export function needsLookup(
  entry: CatalogEntry,
  params: Readonly<Record<string, string>>,
  fromBody: MoneyFacts,
): boolean {
  return (
    (fromBody.amount === null || fromBody.currency === null) &&
    Boolean(params.id) &&
    (PAYMENT_ACTIONS.includes(entry.name) || entry.name === 'acceptDispute')
  );
}

/**
 * Completes amount and currency for an agent with limits. A capture or refund without `amount` is for
 * the full remaining amount, so it is counted as the payment's `available_to_capture` /
 * `available_to_refund`; accepting a dispute counts the disputed amount. These come from one read of
 * the payment or dispute, made with Bollard's credential and not recorded as a separate call.
 */
export async function resolveMoney(
  entry: CatalogEntry,
  params: Readonly<Record<string, string>>,
  fromBody: MoneyFacts,
  client: CheckoutClient,
): Promise<MoneyResolution> {
  let { amount, currency } = fromBody;
  const id = params.id;
  if (id && needsLookup(entry, params, fromBody)) {
    const lookup = await client.send(entry.name === 'acceptDispute' ? 'getDispute' : 'getPayment', {
      params: { id },
    });
    if (lookup.status === 404) return { kind: 'upstream', response: lookup };
    const found = lookup.status === 200 ? obj(lookup.body) : null;
    if (found) {
      currency = currency ?? code(found.currency);
      const balances = obj(found.balances);
      if (amount === null) {
        if (entry.name === 'capturePayment')
          amount = int(balances?.available_to_capture) ?? int(found.amount);
        else if (entry.name === 'refundPayment')
          amount = int(balances?.available_to_refund) ?? int(found.amount);
        else if (entry.name === 'acceptDispute') amount = int(found.amount);
      }
    }
  }
  return amount !== null && currency !== null
    ? { kind: 'known', money: { amount, currency } }
    : { kind: 'unknown' };
}
