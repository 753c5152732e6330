import type { Hono } from 'hono';
import type { CheckoutClient } from '../checkout';
import type { AppEnv } from '../http';
import { guardedWrite } from './guarded-write';
import {
  CREATE_KEY_MIN_LENGTH,
  fingerprint,
  IDEMPOTENCY_LEASE_MS,
  parseIdempotencyKey,
  sha256Hex,
  upstreamKeyFor,
} from './idempotency';
import { checkRedirectUrl, resolveOrder } from './policy';
import { afterAnswer, parseBody, parseId } from './route-helpers';
import { PaymentLinkId, PaymentLinkRequest, PaymentSessionId, PaymentSessionRequest } from './schemas';
import { storefrontSettings } from './settings';
import { mountSessionStatusRoute } from './status-route';
import { sessionGuard } from './stubs';
import { mountSubmitRoute } from './submit-route';
import { paymentLinkBody, paymentSessionBody } from './upstream-body';

/** How the storefront reaches Checkout.com: injected, so the surface codes against the client contract. */
export type ClientFactory = (env: Env) => CheckoutClient;

export interface PaymentRouteOptions {
  client: ClientFactory;
  /** Milliseconds since the epoch (order-token expiry). */
  now: () => number;
}

function orderKeys(env: Env): { secret?: string; publicKey?: string } {
  const publicKey = env.ORDER_TOKEN_PUBLIC_KEY;
  return { secret: env.ORDER_TOKEN_KEY, publicKey };
}

/** Bollard's own `Cko-Idempotency-Key` for a session or link: derived from the browser's key, else fresh. */
async function createKeyFor(route: string, browserKey: string | null, input: unknown): Promise<string> {
  if (browserKey === null) return `bollard-sf-${crypto.randomUUID()}`;
  return upstreamKeyFor(route, browserKey, await fingerprint('POST', route, input));
}

/**
 * The marker a session's metadata carries (payment-outcome.ts). Derived from the upstream key when there
 * is one to derive from, so every retry of an attempt sends Checkout.com the same body under the same key.
 */
async function sessionMarker(browserKey: string | null, idempotencyKey: string): Promise<string> {
  if (browserKey === null) return `bsm_${crypto.randomUUID().replaceAll('-', '')}`;
  return `bsm_${(await sha256Hex(`marker\n${idempotencyKey}`)).slice(0, 32)}`;
}

/**
 * Mounts the payment endpoints: sessions (create, submit, status) and links (create, read).
 * Their OpenAPI description is built from the same schemas by `route-docs.ts`, ahead of time.
 */
export function mountPaymentRoutes(app: Hono<AppEnv>, options: PaymentRouteOptions): void {
  app.post('/v1/payment-sessions', async (c) => {
    const input = await parseBody(c, PaymentSessionRequest);
    const settings = storefrontSettings(c.env);
    checkRedirectUrl('success_url', input.success_url, settings);
    checkRedirectUrl('failure_url', input.failure_url, settings);
    const order = await resolveOrder(input, settings, orderKeys(c.env), options.now());
    const browserKey = parseIdempotencyKey(c.req.header('idempotency-key'), CREATE_KEY_MIN_LENGTH);
    const idempotencyKey = await createKeyFor('/v1/payment-sessions', browserKey, input);
    const marker = await sessionMarker(browserKey, idempotencyKey);
    const body = paymentSessionBody(input, order, settings, marker);
    return guardedWrite(c, {
      route: '/v1/payment-sessions',
      body: input,
      order,
      guardKey: browserKey,
      leaseMs: IDEMPOTENCY_LEASE_MS,
      send: async () => {
        const res = await options
          .client(c.env)
          .call<{ id?: unknown }>('createPaymentSession', { body, idempotencyKey, signal: c.req.raw.signal });
        const id = res.body.id;
        // The status route finds the payment through this record (status-route.ts).
        if (typeof id === 'string' && PaymentSessionId.safeParse(id).success) {
          const record = {
            id,
            reference: order.reference,
            amount: order.amount,
            currency: order.currency,
            marker,
          };
          await afterAnswer(c, 'session record', () => sessionGuard(c.env, id).rememberSession(record));
        }
        return res;
      },
    });
  });

  mountSubmitRoute(app, options);
  mountSessionStatusRoute(app, options);

  app.post('/v1/payment-links', async (c) => {
    const input = await parseBody(c, PaymentLinkRequest);
    const settings = storefrontSettings(c.env);
    checkRedirectUrl('return_url', input.return_url, settings);
    const order = await resolveOrder(input, settings, orderKeys(c.env), options.now());
    const body = paymentLinkBody(input, order, settings);
    const browserKey = parseIdempotencyKey(c.req.header('idempotency-key'), CREATE_KEY_MIN_LENGTH);
    const idempotencyKey = await createKeyFor('/v1/payment-links', browserKey, input);
    return guardedWrite(c, {
      route: '/v1/payment-links',
      body: input,
      order,
      guardKey: browserKey,
      leaseMs: IDEMPOTENCY_LEASE_MS,
      send: () =>
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
