import { Hono } from 'hono';
import type { AppEnv } from '../http';
import { adminWebhookRoutes } from './admin-routes';
import { receiverRoutes } from './receiver-routes';

export type { EventDataMap } from './event-schemas';
export { handlers } from './handlers';
export type { Handler, HandlerContext, HandlerOptions } from './registry';
export { HandlerRegistry } from './registry';
export { signCko, verifyCkoSignature } from './signature';

/** Every webhook route: the receiver, the operator endpoints and the demo feed. */
export function webhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route('/', receiverRoutes());
  app.route('/', adminWebhookRoutes());
  return app;
}
