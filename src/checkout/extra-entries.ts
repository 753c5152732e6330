import { type CatalogEntry, entryByName } from '../catalog';

/**
 * Calls Bollard needs that are not rows of the API guide's 32-method catalog. They have the catalog's
 * shape so the client treats them alike (host, scope, idempotency), but they stay out of `CATALOG`, which
 * mirrors the guide and nothing else — so they are not agent-gateway tools or docs rows.
 *
 * `POST /payment-sessions/{id}/submit` is how a server completes a Flow payment when the page uses
 * Flow's `handleSubmit` (facts §4.1, §10). It belongs to the sessions-links area and acts on a payment
 * session; it requests a payment, so it needs the scope of `createPaymentSession` (`gateway:payment`),
 * and it is money-moving, so the client sends (and reuses) a `Cko-Idempotency-Key`.
 */
export const EXTRA_ENTRIES: readonly CatalogEntry[] = [
  {
    name: 'submitPaymentSession',
    method: 'POST',
    path: '/payment-sessions/{id}/submit',
    area: 'sessions-links',
    access: 'write',
    permission: { kind: 'scope', scope: 'gateway:payment' },
    event: 'payment_approved',
    movesMoney: true,
    description: "Submit a Flow payment session's session data from the server to request the payment.",
    actsOn: 'payment_session',
    host: 'api',
  },
];

/** A catalog entry or an extra entry by name. */
export function clientEntryByName(name: string): CatalogEntry | undefined {
  return entryByName(name) ?? EXTRA_ENTRIES.find((e) => e.name === name);
}
