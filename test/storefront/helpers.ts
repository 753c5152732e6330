import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createApp } from '../../src/app';
import { mintOrderToken, type Order } from '../../src/storefront';

/** A storefront origin configured in wrangler.toml. */
export const ORIGIN = 'http://127.0.0.1:8787';

export const BILLING = { address: { country: 'GB', city: 'London', zip: 'W1 1AA' } };

let ipCounter = 0;
/** A fresh client address per call, so per-client budgets and idempotency records never collide. */
export function freshClient(): string {
  ipCounter++;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}-${crypto.randomUUID().slice(0, 8)}`;
}

export interface Caller {
  (path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  client: string;
}

/**
 * Calls the whole Bollard app (real Durable Objects, the real simulator behind the service binding) with
 * env overrides, e.g. `{ STOREFRONT_ORDER_MODE: 'open' }`, as one browser client.
 */
export function caller(overrides: Partial<Record<keyof Env, unknown>> = {}, client = freshClient()): Caller {
  const app = createApp();
  const merged = { ...env, ...overrides } as Env;
  const call = (async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('cf-connecting-ip', client);
    if (json !== undefined) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      rest.body = JSON.stringify(json);
      rest.method ??= 'POST';
    }
    return app.fetch(new Request(`http://bollard.test${path}`, { ...rest, headers }), merged);
  }) as Caller;
  call.client = client;
  return call;
}

/** One call a request made to the guard Durable Object (`STOREFRONT_GUARD`). */
export interface GuardCall {
  /** The object's name: `key:<hash>`, `order:<jti>` or `session:<id>`. */
  object: string;
  method: string;
  /** Settled before the answer was ready: a round trip the answer waited on (else `waitUntil` work). */
  waited: boolean;
}

export interface MeteredCaller {
  (path: string, init?: RequestInit & { json?: unknown }): Promise<{ res: Response; calls: GuardCall[] }>;
  client: string;
}

/**
 * Like `caller`, but with an execution context (so bookkeeping runs after the answer, as deployed) and
 * a guard namespace that records every call a request makes; each answer comes with its calls, the
 * background ones included (the context is waited on before returning).
 */
export function meteredCaller(
  overrides: Partial<Record<keyof Env, unknown>> = {},
  client = freshClient(),
): MeteredCaller {
  const app = createApp();
  let calls: GuardCall[] = [];
  let answered = false;
  const namespace = env.STOREFRONT_GUARD;
  const meterStub = (stub: object, object: string): object =>
    new Proxy(stub, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof prop !== 'string' || prop === 'then' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const call: GuardCall = { object, method: prop, waited: false };
          calls.push(call);
          const result = Reflect.apply(value, target, args) as Promise<unknown>;
          const settled = () => {
            call.waited = !answered;
          };
          result.then(settled, settled);
          return result;
        };
      },
    });
  const guard = new Proxy(namespace, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === 'getByName' && typeof value === 'function') {
        return (name: string) => meterStub(Reflect.apply(value, target, [name]) as object, name);
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const merged = { ...env, ...overrides, STOREFRONT_GUARD: guard } as Env;
  const call = (async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('cf-connecting-ip', client);
    if (json !== undefined) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      rest.body = JSON.stringify(json);
      rest.method ??= 'POST';
    }
    calls = [];
    answered = false;
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://bollard.test${path}`, { ...rest, headers }), merged, ctx);
    answered = true;
    const mine = calls;
    await waitOnExecutionContext(ctx);
    return { res, calls: mine };
  }) as MeteredCaller;
  call.client = client;
  return call;
}

export const openMode = { STOREFRONT_ORDER_MODE: 'open' } as const;

export function sessionBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    billing: BILLING,
    success_url: `${ORIGIN}/?outcome=success`,
    failure_url: `${ORIGIN}/?outcome=failure`,
    ...extra,
  };
}

export function linkBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { billing: BILLING, return_url: `${ORIGIN}/?outcome=link`, ...extra };
}

export function orderToken(
  order: Partial<Order> = {},
  options: { ttlSeconds?: number; now?: number; jti?: string } = {},
) {
  return mintOrderToken(
    { amount: 2500, currency: 'GBP', reference: `ORD-${crypto.randomUUID().slice(0, 8)}`, ...order },
    env.ORDER_TOKEN_KEY,
    options,
  );
}

export interface ErrorJson {
  request_id: string;
  error_type: string;
  error_codes: string[];
  message?: string;
}

export async function errorOf(res: Response): Promise<ErrorJson> {
  return (await res.json()) as ErrorJson;
}
