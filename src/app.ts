import { Hono } from 'hono';
import { type AppEnv, errorHandler, notFoundHandler, requestContext } from './http';

/**
 * Builds Bollard's HTTP surface. Each area mounts its own routes here; this file only wires.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext());
  app.onError(errorHandler);
  app.notFound(notFoundHandler);

  app.get('/healthz', (c) =>
    c.json({ status: 'ok', service: 'bollard', environment: c.env.CHECKOUT_ENVIRONMENT }),
  );

  return app;
}
