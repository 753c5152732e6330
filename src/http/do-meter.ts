import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Durable Object round trips per request, counted rather than assumed (the hot-path budget in the design:
 * at most one beyond the upstream call). With `DO_METER=on` the Worker entry hands the app an env whose
 * Durable Object namespaces hand out counting stubs, and answers with the count in response headers.
 * Off (the default), the entry passes the request and the env through untouched.
 *
 * Counts live in `AsyncLocalStorage`, not in the stubs: isolate-wide objects (the rate gate in
 * `src/ratelimit/from-env.ts`) keep the env of the first request that built them, and a round trip they
 * make for a later request must land on that later request, the one whose async context awaits it.
 * Durable Objects calling each other use their own env and are not counted: only the Worker's trips are.
 */

/** Round trips that completed before the answer was ready: what the request waited on. */
export const DO_CALLS_HEADER = 'x-bollard-do-calls';
/** The same per binding, in the order first used: `RATE_GOVERNOR=1,AGENT=1`. */
export const DO_CALLS_DETAIL_HEADER = 'x-bollard-do-calls-detail';
/** Round trips still in flight when the answer was ready (`waitUntil` bookkeeping): not waited on. */
export const DO_CALLS_BACKGROUND_HEADER = 'x-bollard-do-calls-background';

export interface DoMeterReading {
  calls: number;
  byBinding: ReadonlyArray<readonly [binding: string, calls: number]>;
  background: number;
}

/** One request's count. Trips started after the answer reach no header and are not kept. */
class Tally {
  readonly #settled = new Map<string, number>();
  #inFlight = 0;
  #background = 0;
  #answered = false;

  started(binding: string, result: unknown): void {
    if (this.#answered) return;
    // Bookkeeping after the answer (`asBackground`) is background however soon it settles: a fast write
    // that lands before the answer is read must not count as one the answer waited on.
    if (backgroundWork.getStore()) {
      this.#background++;
      return;
    }
    this.#inFlight++;
    const done = () => {
      this.#inFlight--;
      if (!this.#answered) this.#settled.set(binding, (this.#settled.get(binding) ?? 0) + 1);
    };
    // Observed where it is made, so the settlement is seen before any caller's continuation runs.
    if (isThenable(result)) result.then(done, done);
    else done();
  }

  answer(): DoMeterReading {
    this.#answered = true;
    const byBinding = [...this.#settled.entries()];
    return {
      calls: byBinding.reduce((n, [, c]) => n + c, 0),
      byBinding,
      background: this.#inFlight + this.#background,
    };
  }
}

const tallies = new AsyncLocalStorage<Tally>();
const backgroundWork = new AsyncLocalStorage<true>();

/** Runs `work` as bookkeeping the answer does not wait for: the meter counts its calls as background. */
export function asBackground<T>(work: () => Promise<T>): Promise<T> {
  return backgroundWork.run(true, work);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof Reflect.get(value, 'then') === 'function'
  );
}

function isNamespace(value: unknown): value is object {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'idFromName') === 'function' &&
    typeof Reflect.get(value, 'get') === 'function'
  );
}

/** A stub whose every method call (RPC or `fetch`) counts one round trip for the current request. */
function meterStub(stub: unknown, binding: string): unknown {
  if (typeof stub !== 'object' || stub === null) return stub;
  return new Proxy(stub, {
    get(target, prop) {
      // Native members need the real stub as `this`; `then` is probed by `await` and is no call.
      const value: unknown = Reflect.get(target, prop);
      if (typeof prop !== 'string' || prop === 'then' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value, target, args);
        tallies.getStore()?.started(binding, result);
        return result;
      };
    },
  });
}

function meterNamespace(namespace: object, binding: string): object {
  return new Proxy(namespace, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      switch (prop) {
        case 'get':
        case 'getByName':
        case 'getExisting':
          return (...args: unknown[]) => meterStub(Reflect.apply(value, target, args), binding);
        case 'jurisdiction':
          return (...args: unknown[]) => {
            const scoped: unknown = Reflect.apply(value, target, args);
            return isNamespace(scoped) ? meterNamespace(scoped, binding) : scoped;
          };
        default:
          return (...args: unknown[]) => Reflect.apply(value, target, args);
      }
    },
  });
}

// One metered env per raw env, so caches keyed by the env object (storefront settings) keep hitting.
const meteredEnvs = new WeakMap<object, object>();

/** `env` with every Durable Object namespace binding metered; the same object for the same `env`. */
export function meterEnv<E extends object>(env: E): E {
  let metered = meteredEnvs.get(env);
  if (metered === undefined) {
    const namespaces = new Map<string | symbol, object>();
    for (const [name, value] of Object.entries(env)) {
      if (isNamespace(value)) namespaces.set(name, meterNamespace(value, name));
    }
    metered = new Proxy(env, { get: (target, prop) => namespaces.get(prop) ?? Reflect.get(target, prop) });
    meteredEnvs.set(env, metered);
  }
  return metered as E;
}

/** Runs `work` with a fresh count; resolves with its result and what it waited on. */
export async function meterRequest<T>(work: () => Promise<T> | T): Promise<[T, DoMeterReading]> {
  const tally = new Tally();
  const result = await tallies.run(tally, work);
  return [result, tally.answer()];
}

export function meterEnabled(env: object): boolean {
  return Reflect.get(env, 'DO_METER') === 'on';
}

function withReading(response: Response, reading: DoMeterReading): Response {
  // A WebSocket upgrade carries its socket; a copy would lose it, and nothing here measures one.
  if (response.status === 101) return response;
  const set = (r: Response) => {
    r.headers.set(DO_CALLS_HEADER, String(reading.calls));
    r.headers.set(DO_CALLS_DETAIL_HEADER, reading.byBinding.map(([b, n]) => `${b}=${n}`).join(','));
    r.headers.set(DO_CALLS_BACKGROUND_HEADER, String(reading.background));
    return r;
  };
  try {
    return set(response);
  } catch {
    // Headers of a response passed through from `fetch` are immutable.
    return set(new Response(response.body, response));
  }
}

/**
 * Wraps the Worker's `fetch` so that, with `DO_METER=on`, each answer carries its Durable Object round
 * trips in `X-Bollard-DO-Calls` (with `-Detail` per binding and `-Background` for trips still in flight).
 *
 * @example
 * export default { fetch: withDoMeter<Env>(app.fetch) } satisfies ExportedHandler<Env>;
 */
export function withDoMeter<E extends object>(
  handler: (request: Request, env: E, ctx: ExecutionContext) => Response | Promise<Response>,
): (request: Request, env: E, ctx: ExecutionContext) => Response | Promise<Response> {
  return function doMeteredFetch(request, env, ctx) {
    if (!meterEnabled(env)) return handler(request, env, ctx);
    return meterRequest(() => handler(request, meterEnv(env), ctx)).then(([res, reading]) =>
      withReading(res, reading),
    );
  };
}
