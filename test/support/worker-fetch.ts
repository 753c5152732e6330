import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../workers/bollard/index';

/** Every request's `waitUntil` work not yet awaited by `settled()`. */
const pending = new Set<Promise<void>>();
/** What that work threw, reported by the next `settled()` (never an unhandled rejection before it). */
const failures: unknown[] = [];

/**
 * Calls the Bollard Worker's own `fetch` export in this isolate, with an execution context of the test's
 * own, so the work it hands to `waitUntil` (an agent call's outcome entry, a storefront session record)
 * can be awaited with `settled()` rather than polled for. The answer is returned as soon as the Worker
 * gives it, exactly as deployed: nothing the test reads first is held back.
 *
 * `exports.default.fetch` goes through the pool's loopback, which here slows down with every call
 * (0.3 s for 32 requests at first, 13 s after a few hundred); this is the same handler minus the harness.
 */
export async function workerFetch(
  input: string | Request,
  init?: RequestInit,
  bindings: Env = env,
): Promise<Response> {
  const ctx = createExecutionContext();
  const request = input instanceof Request && init === undefined ? input : new Request(input, init);
  try {
    return await worker.fetch(request, bindings, ctx);
  } finally {
    const done: Promise<void> = waitOnExecutionContext(ctx)
      .catch((err: unknown) => {
        failures.push(err);
      })
      .finally(() => pending.delete(done));
    pending.add(done);
  }
}

/**
 * Resolves once every request made with `workerFetch` has finished its `waitUntil` work (including work
 * started by requests made while waiting). A rejection there is the Worker's, and fails the test.
 */
export async function settled(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
  const thrown = failures.splice(0);
  if (thrown.length > 0) throw new AggregateError(thrown, 'waitUntil work failed');
}
