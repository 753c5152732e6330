import type { StorefrontGuard } from './guard-do';
import { sha256Hex } from './idempotency';

/**
 * The one module that names `STOREFRONT_GUARD` objects (docs/storage.md). One class, three kinds of
 * instance, chosen by name (guard-do.ts says what each holds and why it is keyed so).
 */

/** The guard of one order token (`order:<jti>`): its one-time use, and the keys of requests carrying it. */
export function orderGuard(env: Env, jti: string): DurableObjectStub<StorefrontGuard> {
  return env.STOREFRONT_GUARD.getByName(`order:${jti}`);
}

/**
 * The guard of one browser `Idempotency-Key` (`key:` and a hash of it, so object names never show a key):
 * the records of requests with that key and no order token, wherever they are retried from.
 */
export async function keyGuard(env: Env, key: string): Promise<DurableObjectStub<StorefrontGuard>> {
  return env.STOREFRONT_GUARD.getByName(`key:${(await sha256Hex(key)).slice(0, 48)}`);
}

/** The guard of one payment session Bollard created (`session:<id>`): what the status route reads. */
export function sessionGuard(env: Env, sessionId: string): DurableObjectStub<StorefrontGuard> {
  return env.STOREFRONT_GUARD.getByName(`session:${sessionId}`);
}
