import { DurableObject } from 'cloudflare:workers';

/** Storefront idempotency keys, order-token replay and per-client limits (issue: storefront). */
export class StorefrontGuard extends DurableObject<Env> {}
