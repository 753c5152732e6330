import type { Access, CatalogEntry } from '../../../src/catalog';
import type { SimRuntime } from './runtime';

/** Who is calling the simulator. */
export type Principal =
  | { kind: 'secret_key'; key: string; scopes: readonly string[] }
  | { kind: 'public_key'; key: string }
  | { kind: 'oauth'; clientId: string; scopes: readonly string[] }
  | { kind: 'sim_admin' };

/**
 * Everything a route or the events module needs from the simulator's one Durable Object. Handlers run
 * inside the object, so SQLite calls are synchronous and a handler without `await` between its reads and
 * writes is atomic.
 */
export interface SimContext {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  env: Env;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The simulator's public origin as the caller reached it (for `_links`), e.g. `http://127.0.0.1:8788`. */
  origin: string;
  /**
   * Emits a webhook event: records it and queues a delivery to every matching active workflow
   * (implemented in `events/emit.ts`). `subjectId` is the payment or dispute id.
   */
  emit(type: string, subjectId: string, data: Record<string, unknown>): void;
}

/** Hono generics for every simulator route. */
export interface SimHonoEnv {
  Bindings: Env;
  Variables: {
    sim: SimContext;
    requestId: string;
    principal: Principal;
    /** The catalog entry the request matched, if any (set before routing by `lib/api-gate.ts`). */
    entry: CatalogEntry | null;
    access: Access;
    /** `METHOD /template` of the request, the key for stats, faults and idempotency. */
    routeKey: string;
    /** In-memory rate-limit windows, in-flight idempotency keys and fault counters. */
    runtime: SimRuntime;
    /** Set by the fault injector: answer normally inside, then cut the connection (`drop: "after"`). */
    dropAfter: boolean;
  };
}
