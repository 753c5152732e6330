import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { tooMany } from './api-gate';
import type { SimHonoEnv } from './context';
import { dropMarker } from './drop';
import { edgeErrorPage, isEdgeStatus } from './edge-pages';
import { effectName } from './effects';
import { ckoError } from './errors';
import { decideFault, getFaults } from './faults';
import { bump, COUNTER } from './stats';

function injectedError(c: Context<SimHonoEnv>, status: number): Response {
  if (isEdgeStatus(status)) return c.html(edgeErrorPage(status), status as ContentfulStatusCode);
  if (status === 429) return tooMany(c);
  const type = status >= 500 ? 'server_error' : 'request_invalid';
  return ckoError(c, status as ContentfulStatusCode, type, []);
}

/**
 * Injected latency, errors, dropped connections and chaos (`POST /_sim/faults`); last in the gate, so a
 * fault lands after idempotency has claimed the key (a repeat during a stall gets 429
 * `idempotency_key_in_use`). Also counts effects: the route ran and answered 2xx.
 */
export function faults(): MiddlewareHandler<SimHonoEnv> {
  return async function injectFaults(c, next): Promise<Response | undefined> {
    const sim = c.var.sim;
    const decision = decideFault(c.var.runtime, getFaults(sim.sql), c.var.routeKey);
    if (decision.chaos) bump(sim.sql, COUNTER.faultChaos);
    if (decision.latencyMs > 0) {
      bump(sim.sql, COUNTER.faultDelays);
      // Read the body first: once the caller has gone its request stream can no longer be read
      // ("client disconnected"), and a stalled request must still be processed, as a real server's is.
      if (c.req.raw.body) await c.req.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
    }
    const action = decision.action;
    if (action.kind === 'drop' && action.when === 'before') {
      bump(sim.sql, COUNTER.faultDrops);
      return dropMarker(500, 'before');
    }
    if (action.kind === 'error') {
      bump(sim.sql, COUNTER.faultErrors);
      return injectedError(c, action.status);
    }
    await next();
    const status = c.res.status;
    const effect = status >= 200 && status < 300 ? effectName(c.var.routeKey, c.var.entry) : null;
    if (effect) bump(sim.sql, COUNTER.effect(effect));
    if (action.kind === 'drop') {
      bump(sim.sql, COUNTER.faultDrops);
      bump(sim.sql, COUNTER.faultDropsAfter);
      c.set('dropAfter', true);
    }
    return undefined;
  };
}
