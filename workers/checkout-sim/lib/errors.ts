import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { SimHonoEnv } from './context';

/** Checkout.com's error body: `{ request_id, error_type, error_codes }`. */
export function ckoError(
  c: Context<SimHonoEnv>,
  status: ContentfulStatusCode,
  errorType: string,
  errorCodes: readonly string[] = [],
): Response {
  return c.json(
    { request_id: c.get('requestId'), error_type: errorType, error_codes: [...errorCodes] },
    status,
  );
}

/** 422 `request_invalid` naming each invalid field, as the real API does. */
export function invalid(c: Context<SimHonoEnv>, ...codes: string[]): Response {
  return ckoError(c, 422, 'request_invalid', codes);
}

export function notFound(c: Context<SimHonoEnv>): Response {
  return c.body(null, 404);
}
