import { Hono } from 'hono';
import type { AppEnv } from '../http';
import { clientLimit } from './client-limit';
import { jsonBody, storefrontCors } from './middleware';
import { type ClientFactory, mountPaymentRoutes } from './payment-routes';
import { mountPublicRoutes } from './public-routes';

export { mintOrderToken, type Order, verifyOrderToken } from './order-token';
export type { ClientFactory } from './payment-routes';
export { parseStorefrontSettings, type StorefrontSettings, storefrontSettings } from './settings';
export { storefrontClient } from './upstream-client';

export interface StorefrontOptions {
  /** The outbound client for the storefront's least-privilege credential. */
  client: ClientFactory;
  /**
   * The text of `GET /openapi.json`, generated ahead of time (`openapi-document.ts`). The Worker passes a
   * loader of the operator module, which carries the text (src/operator): a document, not a hot path.
   */
  openapiJson: () => Promise<string>;
  /** The text of `GET /v1/tokenize.js` (src/browser/tokenize-bundle.ts), loaded the same way. */
  tokenizeJs: () => Promise<string>;
  now?: () => number;
}

/**
 * Paths of the storefront surface; its middleware is bound to these only, never to other surfaces. Exact
 * patterns, not wildcards: `/x/*` also matches `/x`, which would run a middleware twice.
 */
const PAYMENT_PATHS = [
  '/v1/payment-sessions',
  '/v1/payment-sessions/:id/submit',
  '/v1/payment-sessions/:id/status',
  '/v1/payment-links',
  '/v1/payment-links/:id',
];
const PUBLIC_PATHS = ['/v1/config', '/v1/tokenize.js'];

/**
 * The storefront surface: payment sessions (create, submit, status), payment links, the browser config
 * and tokenization helper, and `GET /openapi.json`. Mount with `app.route('/', createStorefrontApp(...))`.
 *
 * @example
 * app.route('/', createStorefrontApp({ client: storefrontClient, openapiJson: storefrontOpenApiJson }));
 */
export function createStorefrontApp(options: StorefrontOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const path of [...PAYMENT_PATHS, ...PUBLIC_PATHS]) app.use(path, storefrontCors());
  for (const path of PAYMENT_PATHS) {
    app.use(path, clientLimit());
    app.use(path, jsonBody());
  }
  mountPaymentRoutes(app, { client: options.client, now: options.now ?? Date.now });
  mountPublicRoutes(app, options.tokenizeJs);
  // Generated from route-docs.ts ahead of time, so the Worker carries the text and not the generator.
  app.get('/openapi.json', async (c) =>
    c.body(await options.openapiJson(), 200, { 'content-type': 'application/json' }),
  );
  return app;
}
