import { Hono } from 'hono';
import type { AppEnv } from '../http';
import { receiverRoutes } from './receiver-routes';

export type { EventDataMap } from './event-schemas';
export { handlers } from './handlers';
export type { Handler, HandlerContext, HandlerOptions } from './registry';
export { HandlerRegistry } from './registry';
export { signCko, verifyCkoSignature } from './signature';

/**
 * The webhook receiver. The operator endpoints and the demo feed (`adminWebhookRoutes`) are served by the
 * lazily loaded operator module (src/operator).
 */
export function webhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route('/', receiverRoutes());
  return app;
}
