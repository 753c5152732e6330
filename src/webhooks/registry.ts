import type { EventType } from '../catalog';
import type { Logger } from '../http';
import type { EventDataMap } from './event-schemas';

/** What a handler receives for one event. */
export interface HandlerContext<D = Record<string, unknown>> {
  event: { id: string; type: string; created_on: string; subject: string };
  /** The event's `data`, validated against its type's schema (untyped for unknown types). */
  data: D;
  /** The whole delivered envelope. */
  envelope: Record<string, unknown>;
  /** The body exactly as delivered (what the `Cko-Signature` covered). */
  raw: string;
  env: Env;
  log: Logger;
  /** 1 for the first try of this run; retries count up. */
  attempt: number;
  /** 0 for the delivery, n for the n-th operator replay. */
  replay: number;
}

export type Handler<D = Record<string, unknown>> = (ctx: HandlerContext<D>) => void | Promise<void>;

export interface HandlerOptions {
  /** Attempts before the event is dead-lettered for this handler (default 8). */
  maxAttempts?: number;
  /** Per-attempt time limit in ms (default 10 s); a handler that overruns counts as failed. */
  timeoutMs?: number;
  /** Whether the handler applies in this deployment (default: always), e.g. only when configured. */
  enabled?: (env: Env) => boolean;
}

export interface HandlerDefinition extends Required<HandlerOptions> {
  name: string;
  /** The event types handled, or `'*'` for every type (unknown ones included). */
  types: readonly string[] | '*';
  run: Handler;
}

/**
 * Named handlers per event type. A handler's name is its identity in the inbox (runs and dead letters
 * are recorded per name), so keep names stable across deploys.
 *
 * @example
 * handlers.on('payment_captured', 'ship-order', async ({ data, event }) => {
 *   await shipOrder(data.reference, data.amount, { idempotencyKey: event.id });
 * });
 */
export class HandlerRegistry {
  readonly #byName = new Map<string, HandlerDefinition>();

  /** Registers a typed handler for one or more of the guide's ten event types. */
  on<T extends EventType>(
    types: T | readonly T[],
    name: string,
    run: Handler<EventDataMap[T]>,
    options: HandlerOptions = {},
  ): this {
    return this.#add(name, typeof types === 'string' ? [types] : types, run as Handler, options);
  }

  /** Registers a handler for every event, including types Bollard does not know yet. */
  onAny(name: string, run: Handler, options: HandlerOptions = {}): this {
    return this.#add(name, '*', run, options);
  }

  /** Removes a handler (its recorded runs stay; pending ones are marked skipped). */
  off(name: string): boolean {
    return this.#byName.delete(name);
  }

  get(name: string): HandlerDefinition | undefined {
    return this.#byName.get(name);
  }

  /** The handlers an event of `type` is handed to in this deployment, by name. */
  namesFor(type: string, env: Env): string[] {
    const out: string[] = [];
    for (const h of this.#byName.values()) {
      if ((h.types === '*' || h.types.includes(type)) && h.enabled(env)) out.push(h.name);
    }
    return out;
  }

  #add(name: string, types: readonly string[] | '*', run: Handler, options: HandlerOptions): this {
    if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(name)) throw new Error(`invalid handler name "${name}"`);
    if (this.#byName.has(name)) throw new Error(`handler "${name}" is already registered`);
    this.#byName.set(name, {
      name,
      types,
      run,
      maxAttempts: options.maxAttempts ?? 8,
      timeoutMs: options.timeoutMs ?? 10_000,
      enabled: options.enabled ?? (() => true),
    });
    return this;
  }
}
