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

/**
 * Session records are spread over this many objects (`session:00` … `session:0f`), not one object per
 * session: a new object is a new SQLite database, which made every session create pay for creating one
 * (in local workerd a synchronous file create, about 5 ms of CPU and more of blocked disk per session;
 * docs/benchmarks.md, "What each guarantee costs"). Sixteen keep each shard's writes far below a Durable
 * Object's throughput at any account rate limit.
 */
export const SESSION_SHARDS = 16;

/** The name of the object holding `sessionId`'s record: FNV-1a of the id, so every route finds the same. */
export function sessionGuardName(sessionId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) h = Math.imul(h ^ sessionId.charCodeAt(i), 0x01000193);
  return `session:${((h >>> 0) % SESSION_SHARDS).toString(16).padStart(2, '0')}`;
}

/** The guard that holds the record of a payment session Bollard created: what the status route reads. */
export function sessionGuard(env: Env, sessionId: string): DurableObjectStub<StorefrontGuard> {
  return env.STOREFRONT_GUARD.getByName(sessionGuardName(sessionId));
}
