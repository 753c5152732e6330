import type { Context } from 'hono';
import type * as z from 'zod/mini';
import { type AppEnv, BollardError } from '../http';
import { afterAnswer as afterAnswerIn } from '../http/after-answer';
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

/** Storefront bookkeeping after the answer (src/http/after-answer.ts). */
export function afterAnswer(c: Ctx, what: string, work: () => Promise<unknown>): Promise<void> {
  return afterAnswerIn(c, 'storefront', what, work);
}
