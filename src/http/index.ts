export * from './errors';
export type { AppEnv } from './hono-env';
export { readJsonBody } from './json-body';
export * from './log';
export { errorHandler, notFoundHandler, requestContext } from './middleware';
export { redact, redactString } from './redact';
export { newRequestId, randomBase32, sanitizeRequestId } from './request-id';
