import type { Context } from 'hono';
import type * as z from 'zod/mini';
import { type AppEnv, BollardError } from '../http';
import { issuesToError } from './validation';

/** Small pieces the storefront routes share. */

export type Ctx = Context<AppEnv>;

export async function parseBody<S extends z.ZodMiniType>(c: Ctx, schema: S): Promise<z.infer<S>> {
  // jsonBody() already parsed and cached the body; this reads the cache.
  const body: unknown = await c.req.json();
  const result = schema.safeParse(body);
  if (!result.success) throw issuesToError(result.error.issues, body);
  return result.data;
}

export function parseId<S extends z.ZodMiniType<string>>(c: Ctx, schema: S): string {
  const id = c.req.param('id') ?? '';
  if (!schema.safeParse(id).success) {
    throw new BollardError('request_invalid', {
      codes: ['id_invalid'],
      message: 'the id in the path is not valid',
    });
  }
  return id;
}

export function jsonResponse(status: number, text: string, replayed: boolean): Response {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (replayed) headers.set('idempotent-replayed', 'true');
  return new Response(text, { status, headers });
}

/**
 * Bookkeeping the answer does not depend on (the session record the status route reads later, the
 * final answer of an `Idempotency-Key` record): after the response with `waitUntil` where the runtime
 * gives one, so the hot path waits on no extra Durable Object round trip; awaited otherwise (tests
 * calling `app.fetch` without a context). Never throws: a lost session record only makes a later status
 * read answer less, and a lost idempotency record ends with its lease.
 */
export async function afterAnswer(c: Ctx, what: string, work: () => Promise<unknown>): Promise<void> {
  const run = async () => {
    try {
      await work();
    } catch (err) {
      c.get('log').warn('storefront bookkeeping failed', { what, error: err });
    }
  };
  let waitUntil: ((promise: Promise<unknown>) => void) | null = null;
  try {
    const ctx = c.executionCtx;
    waitUntil = (promise) => ctx.waitUntil(promise);
  } catch {
    // No execution context: run it in line.
  }
  if (waitUntil) waitUntil(run());
  else await run();
}
