import { Hono } from 'hono';
import { mountAgents } from './agents';
import { mountJwks } from './agents/proof/jwks-route';
import { type AppEnv, errorHandler, notFoundHandler, requestContext } from './http';
import { requestMetrics } from './metrics/middleware';
import { mountOperator, storefrontOpenApiJson, storefrontTokenizeJs } from './operator/routes';
import { createStorefrontApp, storefrontClient } from './storefront';
import { webhookRoutes } from './webhooks';

/**
 * Builds Bollard's HTTP surface. Each area mounts its own routes here; this file only wires.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext());
  // One Analytics Engine data point per request, errors and 404s included (src/metrics, docs/operations.md).
  app.use('*', requestMetrics());
  app.onError(errorHandler);
  app.notFound(notFoundHandler);

  app.get('/healthz', (c) =>
    c.json({ status: 'ok', service: 'bollard', environment: c.env.CHECKOUT_ENVIRONMENT }),
  );
  // Operators and the demo, in a module loaded on first use (src/operator): every /admin* route (the
  // console, /admin/session, /admin/status, /admin/doctor*, /admin/metrics, /admin/openapi.json,
  // /admin/agents*, /admin/audit*, the webhook inbox's /admin/* routes), behind admin auth that denies by
  // default, with the console's security headers; the demo shop at / and /demo/* and its
  // GET /v1/events/recent feed, only when DEMO_ENABLED=true.
  mountOperator(app);
  // Webhook receiver: POST /webhooks/checkout.
  app.route('/', webhookRoutes());
  // Storefront: /v1/payment-sessions*, /v1/payment-links*, /v1/config, /v1/tokenize.js, /openapi.json.
  app.route(
    '/',
    createStorefrontApp({
      client: storefrontClient,
      openapiJson: storefrontOpenApiJson,
      tokenizeJs: storefrontTokenizeJs,
    }),
  );
  // Agent gateway: /agent/v1/*, /agent/mcp.
  mountAgents(app);
  // The public keys of agent-call receipts and audit archive heads: GET /.well-known/jwks.json.
  mountJwks(app);

  return app;
}
