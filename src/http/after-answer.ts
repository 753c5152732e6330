import type { Context } from 'hono';
import { asBackground } from './do-meter';
import type { AppEnv } from './hono-env';

/**
 * Bookkeeping the answer does not depend on (an agent call's outcome entry; the storefront's session record
 * and an `Idempotency-Key`'s final answer): after the response with `waitUntil` where the runtime gives an
 * execution context, so the hot path waits on no extra Durable Object round trip; awaited in line otherwise
 * (tests calling `app.fetch` without one). Never throws: a failure is logged as `<surface> bookkeeping
 * failed`, naming `what`.
 */
export async function afterAnswer(
  c: Context<AppEnv>,
  surface: string,
  what: string,
  work: () => Promise<unknown>,
): Promise<void> {
  const run = () =>
    asBackground(async () => {
      try {
        await work();
      } catch (err) {
        c.get('log').warn(`${surface} bookkeeping failed`, { what, error: err });
      }
    });
  if (hasExecutionContext(c)) c.executionCtx.waitUntil(run());
  else await run();
}

/** True when the runtime gave this request an execution context (`waitUntil`); Hono throws otherwise. */
export function hasExecutionContext(c: Context<AppEnv>): boolean {
  try {
    return c.executionCtx !== undefined;
  } catch {
    return false;
  }
}
