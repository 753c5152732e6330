import type { Context } from 'hono';
import { BollardError } from './errors';
import type { AppEnv } from './hono-env';

/**
 * The request's JSON body, or a 400 `body_invalid` in the one error shape (never quoting the bytes).
 * With `optional`, an empty body is `undefined` rather than an error: for routes whose body may be left out.
 */
export async function readJsonBody(
  c: Context<AppEnv>,
  options: { optional?: boolean } = {},
): Promise<unknown> {
  const text = await c.req.text();
  if (options.optional && text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BollardError('request_malformed', {
      codes: ['body_invalid'],
      message: 'the body must be JSON',
      cause: err,
    });
  }
}
