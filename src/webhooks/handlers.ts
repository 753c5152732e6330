import { forwardConfig, forwardHandler } from './forward';
import { registerMerchantHandlers } from './merchant-handlers';
import { HandlerRegistry } from './registry';

/**
 * The handlers every verified event is handed to. The built-in projection is not here: it runs inside
 * the inbox's record transaction (see inbox-do.ts), so it is exactly-once by construction.
 */
export const handlers = new HandlerRegistry();

handlers.onAny('forward', forwardHandler, {
  enabled: (env) => forwardConfig(env) !== null,
  maxAttempts: 10,
});

registerMerchantHandlers(handlers);
