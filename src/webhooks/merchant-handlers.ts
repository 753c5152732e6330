import type { HandlerRegistry } from './registry';

/**
 * Your own webhook handlers: register them here (see docs/webhooks.md). Each runs once per event, after
 * the delivery has been acknowledged, with retries and dead-lettering; keep names stable.
 *
 * @example
 * registry.on('payment_captured', 'ship-order', async ({ data, event }) => {
 *   await fetch('https://orders.example/ship', {
 *     method: 'POST',
 *     headers: { 'idempotency-key': event.id },
 *     body: JSON.stringify({ reference: data.reference, amount: data.amount }),
 *   });
 * });
 */
export function registerMerchantHandlers(_registry: HandlerRegistry): void {}
