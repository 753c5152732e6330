import { Hono } from 'hono';
import { adminRoutes } from './admin/routes';
import { mountAgents } from './agents';
import { consoleRoutes, consoleSecurityHeaders } from './console';
import { createDemoApp } from './demo';
import { type AppEnv, errorHandler, notFoundHandler, requestContext } from './http';
import { metricsRoutes, requestMetrics } from './metrics';
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
  // Every /admin answer carries the console's security headers (CSP: no inline script); registered
  // first so they wrap every operator route below.
  app.use('/admin', consoleSecurityHeaders());
  app.use('/admin/*', consoleSecurityHeaders());

  app.get('/healthz', (c) =>
    c.json({ status: 'ok', service: 'bollard', environment: c.env.CHECKOUT_ENVIRONMENT }),
  );
  app.route('/', webhookRoutes());
  // Storefront: /v1/payment-sessions*, /v1/payment-links*, /v1/config, /v1/tokenize.js, /openapi.json.
  app.route('/', createStorefrontApp({ client: storefrontClient }));
  // Demo shop at / (and /demo/*), only when DEMO_ENABLED=true.
  app.route('/', createDemoApp());

  // Operators: the console at /admin (its files, sign-in and session), /admin/status, /admin/openapi.json.
  app.route('/', consoleRoutes());
  app.route('/', adminRoutes());
  // GET /admin/metrics?window=1h: the metrics summary.
  app.route('/', metricsRoutes());
  // Agent gateway: /agent/v1/*, /agent/mcp, /admin/agents*, /admin/audit*.
  mountAgents(app);

  return app;
}
