import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type * as z from 'zod';
import { type CheckoutClient, isCheckoutError, type UpstreamResponse } from '../checkout';
import { type AppEnv, BollardError } from '../http';
import {
  fingerprint,
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_TTL_MS,
  parseIdempotencyKey,
  upstreamKeyFor,
} from './idempotency';
import { clientIdOf } from './middleware';
import { checkRedirectUrl, type ResolvedOrder, resolveOrder } from './policy';
import { ROUTES } from './route-docs';
import {
  PaymentLinkId,
  PaymentLinkRequest,
  PaymentSessionId,
  PaymentSessionRequest,
  SubmitPaymentSessionRequest,
} from './schemas';
import { storefrontSettings } from './settings';
import { paymentLinkBody, paymentSessionBody } from './upstream-body';
import { issuesToError } from './validation';

/** How the storefront reaches Checkout.com: injected, so the surface codes against the client contract. */
export type ClientFactory = (env: Env) => CheckoutClient;

export interface PaymentRouteOptions {
  client: ClientFactory;
  /** Milliseconds since the epoch (order-token expiry). */
  now: () => number;
}

type Ctx = Context<AppEnv>;

async function parseBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.infer<S>> {
  // jsonBody() already parsed and cached the body; this reads the cache.
  const result = schema.safeParse(await c.req.json());
  if (!result.success) throw issuesToError(result.error.issues);
  return result.data;
}

function parseId<S extends z.ZodType<string>>(c: Ctx, schema: S): string {
  const id = c.req.param('id') ?? '';
  if (!schema.safeParse(id).success) {
    throw new BollardError('request_invalid', {
      codes: ['id_invalid'],
      message: 'the id in the path is not valid',
    });
  }
  return id;
}

function orderKeys(env: Env): { secret?: string; publicKey?: string } {
  const publicKey = (env as Env & { ORDER_TOKEN_PUBLIC_KEY?: string }).ORDER_TOKEN_PUBLIC_KEY;
  return { secret: env.ORDER_TOKEN_KEY, publicKey };
}

function jsonResponse(status: number, text: string, replayed: boolean): Response {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (replayed) headers.set('idempotent-replayed', 'true');
  return new Response(text, { status, headers });
}

/** True when Checkout.com certainly did not act on the call (it answered with a 4xx). */
function upstreamRefused(err: unknown): boolean {
  return isCheckoutError(err) && err.upstreamStatus !== null && err.upstreamStatus < 500;
}

interface WriteSpec {
  /** Route template, part of the fingerprint and of the derived upstream key. */
  route: string;
  body: unknown;
  order: ResolvedOrder | null;
  send: (upstreamKey: string) => Promise<UpstreamResponse>;
}

/**
 * A storefront write: the browser's `Idempotency-Key`, the order token's one-time use, the upstream call
 * under Bollard's own `Cko-Idempotency-Key`, and the cleanup that lets a failed request be retried.
 */
async function idempotentWrite(c: Ctx, spec: WriteSpec): Promise<Response> {
  const key = parseIdempotencyKey(c.req.header('idempotency-key'));
  const client = clientIdOf(c.req);
  const guard = key === null ? null : c.env.STOREFRONT_GUARD.getByName(`client:${client}`);
  const fp = key === null ? '' : await fingerprint('POST', spec.route, spec.body);
  if (guard && key !== null) {
    const begun = await guard.beginIdempotent({
      key,
      fingerprint: fp,
      leaseMs: IDEMPOTENCY_LEASE_MS,
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
    switch (begun.kind) {
      case 'replay':
        return jsonResponse(begun.status, begun.body, true);
      case 'in_flight':
        throw new BollardError('conflict', {
          codes: ['idempotency_key_in_flight'],
          message: 'a request with this Idempotency-Key is still being processed; retry shortly',
          retryAfter: 1,
        });
      case 'mismatch':
        throw new BollardError('idempotency_key_reused', {
          codes: ['idempotency_key_reused'],
          message: 'this Idempotency-Key was used with a different request body',
        });
      case 'proceed':
        break;
    }
  }
  const token = spec.order?.token ?? null;
  const orderGuard = token ? c.env.STOREFRONT_GUARD.getByName(`order:${token.jti}`) : null;
  let claimed = false;
  try {
    if (orderGuard && token) {
      claimed = await orderGuard.claimOrder(token.jti, token.expiresAtMs);
      if (!claimed) {
        throw new BollardError('conflict', {
          codes: ['order_token_replayed'],
          message: 'this order token was already used; the merchant must sign a new one',
        });
      }
    }
    const upstreamKey =
      key === null ? `bollard-sf-${crypto.randomUUID()}` : await upstreamKeyFor(client, spec.route, key);
    const res = await spec.send(upstreamKey);
    const text = JSON.stringify(res.body);
    if (guard && key !== null) await guard.completeIdempotent(key, fp, res.status, text);
    return jsonResponse(res.status, text, false);
  } catch (err) {
    if (guard && key !== null) await guard.abandonIdempotent(key, fp);
    // Give the token back only when a retry cannot create a second object: Checkout.com refused the call,
    // or the retry will carry the same Cko-Idempotency-Key (derived from the browser's key).
    if (claimed && orderGuard && token && (upstreamRefused(err) || key !== null)) {
      await orderGuard.releaseOrder(token.jti);
    }
    throw err;
  }
}

/** Mounts the four payment endpoints. Documentation comes from `route-docs.ts` (same schemas). */
export function mountPaymentRoutes(app: OpenAPIHono<AppEnv>, options: PaymentRouteOptions): void {
  for (const route of ROUTES) app.openAPIRegistry.registerPath(route);

  app.post('/v1/payment-sessions', async (c) => {
    const input = await parseBody(c, PaymentSessionRequest);
    const settings = storefrontSettings(c.env);
    checkRedirectUrl('success_url', input.success_url, settings);
    checkRedirectUrl('failure_url', input.failure_url, settings);
    const order = await resolveOrder(input, settings, orderKeys(c.env), options.now());
    const body = paymentSessionBody(input, order, settings);
    return idempotentWrite(c, {
      route: '/v1/payment-sessions',
      body: input,
      order,
      send: (idempotencyKey) =>
        options
          .client(c.env)
          .call('createPaymentSession', { body, idempotencyKey, signal: c.req.raw.signal }),
    });
  });

  app.post('/v1/payment-sessions/:id/submit', async (c) => {
    const id = parseId(c, PaymentSessionId);
    const input = await parseBody(c, SubmitPaymentSessionRequest);
    return idempotentWrite(c, {
      route: `/v1/payment-sessions/${id}/submit`,
      body: input,
      order: null,
      send: (idempotencyKey) =>
        options.client(c.env).call('submitPaymentSession', {
          params: { id },
          body: { session_data: input.session_data },
          idempotencyKey,
          signal: c.req.raw.signal,
        }),
    });
  });

  app.post('/v1/payment-links', async (c) => {
    const input = await parseBody(c, PaymentLinkRequest);
    const settings = storefrontSettings(c.env);
    checkRedirectUrl('return_url', input.return_url, settings);
    const order = await resolveOrder(input, settings, orderKeys(c.env), options.now());
    const body = paymentLinkBody(input, order, settings);
    return idempotentWrite(c, {
      route: '/v1/payment-links',
      body: input,
      order,
      send: (idempotencyKey) =>
        options.client(c.env).call('createPaymentLink', { body, idempotencyKey, signal: c.req.raw.signal }),
    });
  });

  app.get('/v1/payment-links/:id', async (c) => {
    const id = parseId(c, PaymentLinkId);
    const res = await options.client(c.env).call<Record<string, unknown>>('getPaymentLink', {
      params: { id },
      signal: c.req.raw.signal,
    });
    return c.json(linkStatusView(res.body));
  });
}

/** The part of a payment link a browser may read: status and order, not the customer's details. */
export function linkStatusView(link: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['id', 'status', 'amount', 'currency', 'reference', 'expires_on', 'payment_id'] as const) {
    if (link[k] !== undefined && link[k] !== null) out[k] = link[k];
  }
  return out;
}
