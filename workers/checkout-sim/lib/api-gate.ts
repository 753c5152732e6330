import type { MiddlewareHandler } from 'hono';
import { matchRequest } from '../../../src/catalog';
import { authenticate, authorize, credentialFrom } from './auth';
import { getConfig } from './config';
import type { SimHonoEnv } from './context';
import { DROP_HEADER, dropMarker } from './drop';
import { ckoError } from './errors';
import { accessFor, requirementFor, routeKeyFor } from './gate';
import { findAnswer, IDEMPOTENCY_HEADER, scopedKey, storeAnswer } from './idempotency';
import { withinRate } from './rate-limit';
import { bump, COUNTER } from './stats';

/** Counts the request and sets `entry`, `access` and `routeKey`. */
export function classify(): MiddlewareHandler<SimHonoEnv> {
  return async function classifyRequest(c, next) {
    const method = c.req.method;
    const path = c.req.path;
    const entry = matchRequest(method, path)?.entry ?? null;
    const routeKey = routeKeyFor(method, path, entry);
    c.set('entry', entry);
    c.set('access', accessFor(method, entry));
    c.set('routeKey', routeKey);
    const sql = c.var.sim.sql;
    bump(sql, COUNTER.route(routeKey));
    await next();
    // A connection cut before processing answered nothing; one cut after counts the answer it lost.
    if (c.res.headers.has(DROP_HEADER)) return;
    bump(sql, COUNTER.status(c.res.status));
    if (c.res.status === 429) bump(sql, COUNTER.responses429);
  };
}

/**
 * Outermost in the gate: once everything inside (the idempotency store included) has seen the real
 * answer, a `drop: "after"` request's answer becomes the drop marker the Worker entry cuts.
 */
export function cutAfterAnswer(): MiddlewareHandler<SimHonoEnv> {
  return async function cutAfterProcessing(c, next) {
    await next();
    if (c.var.dropAfter) c.res = dropMarker(c.res.status, 'after');
  };
}

/** 429 with the error body, and `Retry-After` when configured. */
export function tooMany(c: Parameters<MiddlewareHandler<SimHonoEnv>>[0], codes: string[] = []): Response {
  const retryAfter = getConfig(c.var.sim.sql, c.var.sim.env).retry_after_seconds;
  if (retryAfter !== null) c.header('Retry-After', String(retryAfter));
  return ckoError(c, 429, 'too_many_requests', codes);
}

/** The account's read/write budgets; over budget → 429 with the error body. */
export function rateLimit(): MiddlewareHandler<SimHonoEnv> {
  return async function rateLimitRequest(c, next): Promise<Response | undefined> {
    const sim = c.var.sim;
    const access = c.var.access;
    bump(sim.sql, COUNTER.total);
    bump(sim.sql, access === 'read' ? COUNTER.read : COUNTER.write);
    if (!withinRate(c.var.runtime, sim.sql, getConfig(sim.sql, sim.env), access, sim.now())) {
      bump(sim.sql, COUNTER.rateLimited);
      return tooMany(c);
    }
    await next();
    return undefined;
  };
}

/** 401 without a valid credential (empty body, as the real API answers); 403 with the error body. */
export function authGate(): MiddlewareHandler<SimHonoEnv> {
  return async function authenticateRequest(c, next): Promise<Response | undefined> {
    const sim = c.var.sim;
    const credential = credentialFrom(c.req.header('Authorization'));
    const principal = credential ? await authenticate(sim.sql, sim.env, credential, sim.now()) : null;
    if (!principal) return c.body(null, 401);
    const requirement = requirementFor(c.req.method, c.req.path, c.var.entry);
    if (requirement) {
      const decision = authorize(principal, requirement);
      if (decision === 'unauthorized') return c.body(null, 401);
      if (decision === 'forbidden') return ckoError(c, 403, 'forbidden', ['insufficient_scope']);
    } else if (principal.kind === 'public_key') {
      return c.body(null, 401);
    }
    c.set('principal', principal);
    await next();
    return undefined;
  };
}

/**
 * Replays stored successes, refuses concurrent duplicates, stores new successes. A request dropped
 * before processing stored nothing; one dropped after is stored like any success (the marker replaces
 * the answer outside this middleware), so a retry with the key gets the replay.
 */
export function idempotency(): MiddlewareHandler<SimHonoEnv> {
  return async function idempotentRequest(c, next): Promise<Response | undefined> {
    const header = c.req.header(IDEMPOTENCY_HEADER);
    if (c.req.method === 'GET' || !header) {
      await next();
      return undefined;
    }
    const sim = c.var.sim;
    const key = scopedKey(c.req.method, c.req.path, header);
    const stored = findAnswer(sim.sql, key, sim.now());
    if (stored) {
      bump(sim.sql, COUNTER.idempotentReplays);
      return c.body(
        stored.body,
        stored.status as 200,
        stored.contentType ? { 'Content-Type': stored.contentType } : {},
      );
    }
    const inflight = c.var.runtime.inflight;
    if (inflight.has(key)) {
      bump(sim.sql, COUNTER.idempotencyConflicts);
      return tooMany(c, ['idempotency_key_in_use']);
    }
    inflight.add(key);
    try {
      await next();
      const res = c.res;
      if (res.status >= 200 && res.status < 300 && !res.headers.has(DROP_HEADER)) {
        const body = await res.clone().text();
        storeAnswer(
          sim.sql,
          key,
          { status: res.status, body, contentType: res.headers.get('Content-Type') },
          sim.now(),
        );
      }
    } finally {
      inflight.delete(key);
    }
    return undefined;
  };
}
