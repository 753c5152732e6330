import type { ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';
import { BollardError, renderError } from './errors';
import type { AppEnv } from './hono-env';
import { createLogger, type Logger } from './log';
import { newRequestId, sanitizeRequestId } from './request-id';

export interface RequestContextOptions {
  logger?: Logger;
}

/** Assigns a request id (echoed as `Cko-Request-Id`) and a request-scoped logger. */
export function requestContext(options: RequestContextOptions = {}): MiddlewareHandler<AppEnv> {
  const root = options.logger ?? createLogger({ service: 'bollard' });
  return async function requestContextMiddleware(c, next) {
    const requestId = sanitizeRequestId(c.req.header('x-request-id')) ?? newRequestId();
    c.set('requestId', requestId);
    c.set('log', root.child({ request_id: requestId }));
    await next();
    c.header('cko-request-id', requestId);
  };
}

/** Renders every failure in the one JSON error shape; unexpected errors are logged and become a 500. */
export const errorHandler: ErrorHandler<AppEnv> = (err, c) => {
  const requestId = c.get('requestId') ?? newRequestId();
  if (!(err instanceof BollardError)) {
    (c.get('log') ?? createLogger()).error('unhandled error', { error: err });
  }
  return renderError(err, requestId);
};

export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  renderError(
    new BollardError('not_found', { codes: ['route_not_found'], message: 'no such route' }),
    c.get('requestId') ?? newRequestId(),
  );
