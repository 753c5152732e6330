import type { Context, Hono } from 'hono';
import { matchRequest, methodsForPath } from '../catalog';
import type { CheckoutClient } from '../checkout/contract';
import type { AppEnv } from '../http';
import { authenticateAgent } from './authenticate';
import {
  type CallContext,
  type CallOutcome,
  entryFields,
  errorBody,
  errorResponse,
  outcomeMeta,
  record,
} from './call';
import { executeAgentCall } from './execute';
import { agentsClient } from './upstream-client';

/** Where the Checkout.com-compatible surface is mounted. */
export const GATEWAY_PREFIX = '/agent/v1';

/** Upstream response headers an SDK may read; everything else (cookies, hop-by-hop) is dropped. */
const PASSED_HEADERS = ['content-type', 'location', 'cko-version'];

/** Largest request body accepted (Checkout.com bodies are small JSON documents). */
const MAX_BODY_BYTES = 1_000_000;

export function callContext(c: Context<AppEnv>, channel: CallContext['channel']): CallContext {
  let client: CheckoutClient | null = null;
  const ctx: CallContext = {
    env: c.env,
    upstreamScopes: [],
    client: () => {
      client ??= agentsClient(c.env, ctx.upstreamScopes);
      return client;
    },
    requestId: c.get('requestId'),
    channel,
    startedMs: Date.now(),
    log: c.get('log'),
  };
  return ctx;
}

/**
 * `/agent/v1/<Checkout.com path>`: wire-compatible with Checkout.com. authenticate → match the catalog
 * (unknown path 404, known path with another method 405, neither forwarded) → grant and limits →
 * forward → record, and the upstream answer is passed through as-is (status, JSON body).
 */
export function mountGateway(app: Hono<AppEnv>): void {
  app.all(`${GATEWAY_PREFIX}/*`, async (c) => {
    const ctx = callContext(c, 'rest');
    const method = c.req.method.toUpperCase();
    const auth = await authenticateAgent(ctx, c.req.header('authorization'), method);
    if (!auth.ok) return auth.response;
    const agent = auth.agent;
    ctx.upstreamScopes = auth.upstreamScopes;

    const url = new URL(c.req.url);
    const path = url.pathname.slice(GATEWAY_PREFIX.length) || '/';
    const match = matchRequest(method, path);
    const denyRoute = async (
      status: 404 | 405 | 400 | 413,
      reason: 'route_not_found' | 'method_not_allowed' | 'body_invalid',
      message: string,
      headers: Record<string, string> = {},
    ) => {
      await record(ctx, {
        agent_id: agent.id,
        agent_name: agent.name,
        method,
        ...entryFields(match?.entry ?? null),
        decision: 'denied',
        reason,
        upstream_status: null,
        upstream_request_id: null,
        idempotency_key: null,
        amount: null,
        currency: null,
      });
      const type = status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'request_malformed';
      return errorResponse(status, errorBody(ctx.requestId, type, [reason], message), headers);
    };
    if (!match) {
      const allowed = methodsForPath(path);
      return allowed.length
        ? denyRoute(405, 'method_not_allowed', `${method} is not supported on this path`, {
            allow: allowed.join(', '),
          })
        : denyRoute(404, 'route_not_found', 'no Checkout.com method has this path');
    }

    let body: unknown;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const text = await c.req.text();
      if (text.length > MAX_BODY_BYTES)
        return denyRoute(413, 'body_invalid', 'the request body is too large');
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          return denyRoute(400, 'body_invalid', 'the request body is not valid JSON');
        }
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    // Present but empty counts as given (and is refused), so a caller's broken header never passes silently.
    const idempotencyKey = c.req.header('cko-idempotency-key');

    const outcome = await executeAgentCall(ctx, agent, {
      entry: match.entry,
      params: match.params,
      ...(url.searchParams.size ? { query } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    });
    const headers = answerHeaders(outcome);
    if (outcome.kind !== 'answered') {
      if (outcome.kind === 'failed' && outcome.retryAfter !== undefined)
        headers.set('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfter))));
      return errorResponse(outcome.status, outcome.error, Object.fromEntries(headers));
    }
    const { response } = outcome;
    for (const name of PASSED_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const hasBody = response.body !== null && response.status !== 204 && response.status !== 304;
    if (hasBody) headers.set('content-type', 'application/json; charset=utf-8');
    return new Response(hasBody ? JSON.stringify(response.body) : null, { status: response.status, headers });
  });
}

/**
 * Headers every answer to a matched call carries when known, errors included: `Cko-Idempotency-Key` (the
 * key to retry that very call with: the caller's, or the one Bollard generated) and
 * `X-Upstream-Request-Id` (Checkout.com's id for the exchange, as in the audit record).
 */
function answerHeaders(outcome: CallOutcome): Headers {
  const headers = new Headers();
  const meta = outcomeMeta(outcome);
  if (meta.idempotencyKey !== null) headers.set('cko-idempotency-key', meta.idempotencyKey);
  if (meta.upstreamRequestId) headers.set('x-upstream-request-id', meta.upstreamRequestId);
  return headers;
}
