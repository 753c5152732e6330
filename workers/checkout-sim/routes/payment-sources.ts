/** Turns a payment `source` (token, stored instrument, raw card, customer) into a card to charge. */
import type { JsonObject } from '../lib/body';
import { isObject } from '../lib/body';
import type { CardInput } from '../lib/cards';
import { parseCard } from '../lib/cards';
import { newId } from '../lib/ids';
import { consumeToken } from './tokens-store';
import { findCustomer, getInstrumentRow, instrumentCard } from './vault-store';

export interface ResolvedSource {
  card: CardInput;
  sourceId: string;
  billingAddress?: unknown;
  /** Set for a `customer` source: the customer the payment belongs to. */
  customerId?: string;
}

/**
 * Resolves the source, or returns the error codes. A token is spent here, so callers validate every
 * other field first: a request refused for another reason must leave the token usable.
 */
export function resolveSource(sql: SqlStorage, source: unknown, nowMs: number): ResolvedSource | string[] {
  if (source === undefined) return ['payment_source_required'];
  if (!isObject(source)) return ['source_invalid'];
  const s = source as JsonObject;
  switch (s.type) {
    case 'token': {
      const used = consumeToken(sql, s.token, nowMs);
      if ('error' in used) return [used.error];
      return {
        card: used.card,
        sourceId: newId('src'),
        ...(used.billing !== undefined ? { billingAddress: used.billing } : {}),
      };
    }
    case 'id': {
      const row = typeof s.id === 'string' ? getInstrumentRow(sql, s.id) : null;
      if (!row) return ['source_id_invalid'];
      return { card: instrumentCard(row), sourceId: row.id };
    }
    case 'card': {
      const card = parseCard(s, nowMs);
      if (Array.isArray(card)) return card;
      return {
        card,
        sourceId: newId('src'),
        ...(s.billing_address !== undefined ? { billingAddress: s.billing_address } : {}),
      };
    }
    case 'customer': {
      const customer = typeof s.id === 'string' ? findCustomer(sql, s.id) : null;
      if (!customer) return ['customer_not_found'];
      const instrument = customer.default_instrument
        ? getInstrumentRow(sql, customer.default_instrument)
        : null;
      if (!instrument) return ['customer_source_not_found'];
      return { card: instrumentCard(instrument), sourceId: instrument.id, customerId: customer.id };
    }
    case undefined:
      return ['source_type_required'];
    default:
      return ['source_type_invalid'];
  }
}
