import { DurableObject } from 'cloudflare:workers';
import type { Hono } from 'hono';
import { createSimApp } from './app';
import { runDueDeliveries } from './events/delivery';
import { emitEvent } from './events/emit';
import { initEventsSchema } from './events/schema';
import { getConfig, initStateSchema, readState, writeState } from './lib/config';
import type { SimContext, SimHonoEnv } from './lib/context';
import { initIdempotencySchema } from './lib/idempotency';
import type { SimRuntime } from './lib/runtime';
import { newRuntime } from './lib/runtime';
import { initStatsSchema } from './lib/stats';
import { initTransfersSchema } from './routes/balances-store';
import { initPaymentsSchema } from './routes/payments-store';
import { initSessionsLinksSchema } from './routes/sessions-links-store';
import { initTokensSchema } from './routes/tokens-store';
import { initVaultSchema } from './routes/vault-store';

/** Where `_links` point when no request has told us the origin yet (an alarm right after a restart). */
const FALLBACK_ORIGIN = 'http://127.0.0.1:8788';

/**
 * The simulated Checkout.com account: one SQLite Durable Object (`getByName('default')`) hosting the
 * whole API, so every state change is a synchronous SQLite write inside one object — atomic, no locks.
 */
export class SimAccount extends DurableObject<Env> {
  readonly #app: Hono<SimHonoEnv>;
  readonly #runtime: SimRuntime = newRuntime();
  #origin: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    initStateSchema(sql);
    initStatsSchema(sql);
    initIdempotencySchema(sql);
    initTokensSchema(sql);
    initVaultSchema(sql);
    initPaymentsSchema(sql);
    initSessionsLinksSchema(sql);
    initTransfersSchema(sql);
    initEventsSchema(sql);
    this.#app = createSimApp({ sim: (request) => this.#context(request), runtime: this.#runtime });
  }

  /**
   * A request's handler keeps running after its caller has gone (measured in workerd through a service
   * binding and under `wrangler dev` over HTTP: the object's work is not cancelled), so a stalled write
   * still lands, as on a real server. The one thing lost with the caller is its request body stream,
   * which the fault injector therefore reads before it stalls.
   */
  override async fetch(request: Request): Promise<Response> {
    return this.#app.fetch(request, this.env);
  }

  /** Webhook deliveries and their retries are scheduled on the object's alarm (events module). */
  override async alarm(): Promise<void> {
    await runDueDeliveries(this.#context(null));
  }

  #context(request: Request | null): SimContext {
    const sql = this.ctx.storage.sql;
    const env = this.env;
    const origin = request ? this.#rememberOrigin(new URL(request.url).origin) : this.#knownOrigin();
    const sim: SimContext = {
      sql,
      storage: this.ctx.storage,
      env,
      now: () => Date.now() + getConfig(sql, env).clock_offset_ms,
      origin,
      emit: (type, subjectId, data) => {
        emitEvent(sim, type, subjectId, data);
      },
    };
    return sim;
  }

  #rememberOrigin(origin: string): string {
    if (origin !== this.#origin) {
      this.#origin = origin;
      writeState(this.ctx.storage.sql, 'origin', origin);
    }
    return origin;
  }

  #knownOrigin(): string {
    this.#origin ??= readState(this.ctx.storage.sql, 'origin');
    return this.#origin ?? FALLBACK_ORIGIN;
  }
}
