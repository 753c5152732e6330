import type { CatalogEntry } from '../../../src/catalog';
import { CATALOG } from '../../../src/catalog';

/**
 * Effects: writes the simulator actually processed with a 2xx, per catalog method name — what a test
 * checks to prove a retry did not pay twice. A replayed idempotent answer, a request dropped before
 * processing and a refused one are not effects; a request dropped after processing is one.
 */
export const SUBMIT_PAYMENT_SESSION = 'submitPaymentSession';

/** The effect a request would have: its catalog write method, `submitPaymentSession`, or none. */
export function effectName(routeKey: string, entry: CatalogEntry | null): string | null {
  if (entry) return entry.access === 'write' ? entry.name : null;
  // Not a catalog row, but it makes a payment.
  return routeKey === 'POST /payment-sessions/{id}/submit' ? SUBMIT_PAYMENT_SESSION : null;
}

/** Every effect name, so the stats show a zero rather than leaving a key out. */
export const EFFECT_NAMES: readonly string[] = [
  ...CATALOG.filter((e) => e.access === 'write').map((e) => e.name),
  SUBMIT_PAYMENT_SESSION,
];
