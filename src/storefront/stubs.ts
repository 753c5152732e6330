import type { StorefrontGuard } from './guard-do';

/**
 * The one module that names `STOREFRONT_GUARD` objects (docs/storage.md). One class, three kinds of
 * instance, chosen by name (guard-do.ts says what each holds and why it is keyed so).
 */

/** The guard of one order token (`order:<jti>`): its one-time use, and the keys of requests carrying it. */
export function orderGuard(env: Env, jti: string): DurableObjectStub<StorefrontGuard> {
  return env.STOREFRONT_GUARD.getByName(`order:${jti}`);
}

/** The guard of one browser client (`client:<ip>`): the keys of its requests that carry no order token. */
export function clientGuard(env: Env, clientId: string): DurableObjectStub<StorefrontGuard> {
  return env.STOREFRONT_GUARD.getByName(`client:${clientId}`);
}

/** The guard of one payment session Bollard created (`session:<id>`): what the status route reads. */
export function sessionGuard(env: Env, sessionId: string): DurableObjectStub<StorefrontGuard> {
  return env.STOREFRONT_GUARD.getByName(`session:${sessionId}`);
}
