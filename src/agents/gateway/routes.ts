import type { Context, Hono } from 'hono';
import { matchRequest, methodsForPath } from '../../catalog';
import type { CheckoutClient } from '../../checkout/contract';
import type { AppEnv } from '../../http';
import { afterAnswer, hasExecutionContext } from '../../http/after-answer';
import { attemptSource } from '../model/attempts';
import { presentedKey } from '../model/keys';
import { RECEIPT_HEADER, receiptForAnswer } from '../proof/receipts';
import { agentsClient } from '../upstream-client';
import { type CallContext, type CallOutcome, errorResponse, outcomeMeta, type SurfaceRefusal } from './call';
import { executeAgentCall } from './execute';

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
    source: attemptSource(c.req.header('cf-connecting-ip')),
    origin: new URL(c.req.url).origin,
    presented: presentedKey(c.req.header('authorization')).kind,
    log: c.get('log'),
    identify: (agentId) => c.set('agentId', agentId),
    after: (what, work) => afterAnswer(c, 'agent', what, work),
    deferred: hasExecutionContext(c),
  };
  return ctx;
}

function refusal(
  status: 404 | 405 | 400 | 413,
  reason: 'route_not_found' | 'method_not_allowed' | 'body_invalid',
  message: string,
  headers?: Record<string, string>,
): SurfaceRefusal {
  const errorType =
    status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'request_malformed';
  return { status, reason, errorType, message, ...(headers ? { headers } : {}) };
}

/**
 * `/agent/v1/<Checkout.com path>`: wire-compatible with Checkout.com. The route (unknown path 404, known
 * path with another method 405, neither forwarded), the body and the idempotency key are checked in the
 * Worker; authentication, grant, limits and the start record are one round trip to the agent's object
 * (`executeAgentCall`); the upstream answer is passed through as-is (status, JSON body).
 */
export function mountGateway(app: Hono<AppEnv>): void {
  app.all(`${GATEWAY_PREFIX}/*`, async (c) => {
    const ctx = callContext(c, 'rest');
    const method = c.req.method.toUpperCase();
    const presented = presentedKey(c.req.header('authorization'));
    const url = new URL(c.req.url);
    const path = url.pathname.slice(GATEWAY_PREFIX.length) || '/';
    const match = matchRequest(method, path);

    let refused: SurfaceRefusal | undefined;
    let body: unknown;
    let requestText = '';
    if (!match) {
      const allowed = methodsForPath(path);
      refused = allowed.length
        ? refusal(405, 'method_not_allowed', `${method} is not supported on this path`, {
            allow: allowed.join(', '),
          })
        : refusal(404, 'route_not_found', 'no Checkout.com method has this path');
    } else if (presented.kind === 'key' && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      // Only a caller with a well-formed key gets its body read.
      const text = await c.req.text();
      requestText = text;
      if (text.length > MAX_BODY_BYTES)
        refused = refusal(413, 'body_invalid', 'the request body is too large');
      else if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          refused = refusal(400, 'body_invalid', 'the request body is not valid JSON');
        }
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    // Present but empty counts as given (and is refused), so a caller's broken header never passes silently.
    const idempotencyKey = c.req.header('cko-idempotency-key');

    const outcome = await executeAgentCall(ctx, presented, {
      method,
      entry: match?.entry ?? null,
      params: match?.params ?? {},
      ...(url.searchParams.size ? { query } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(idempotencyKey !== undefined && !refused ? { idempotencyKey } : {}),
      ...(refused ? { refusal: refused } : {}),
    });
    const headers = answerHeaders(outcome);
    // The receipt (docs/agents.md, "Proving what an agent did") covers the body exactly as sent.
    const seal = async (status: number, responseBody: string) => {
      const meta = outcomeMeta(outcome);
      const receipt = await receiptForAnswer(c.env, ctx.log, {
        proof: outcome.proof,
        requestId: ctx.requestId,
        channel: 'rest',
        entry: match?.entry ?? null,
        httpMethod: method,
        target: `${path}${url.search}`,
        idempotencyKey: meta.idempotencyKey,
        upstreamRequestId: meta.upstreamRequestId,
        status,
        requestBody: requestText,
        responseBody,
      });
      if (receipt !== null) headers.set(RECEIPT_HEADER, receipt);
    };
    if (outcome.kind !== 'answered') {
      if (outcome.kind === 'failed' && outcome.retryAfter !== undefined)
        headers.set('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfter))));
      if (outcome.kind === 'refused' && outcome.headers)
        for (const [k, v] of Object.entries(outcome.headers)) headers.set(k, v);
      await seal(outcome.status, JSON.stringify(outcome.error));
      return errorResponse(outcome.status, outcome.error, Object.fromEntries(headers));
    }
    const { response } = outcome;
    for (const name of PASSED_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const hasBody = response.body !== null && response.status !== 204 && response.status !== 304;
    if (hasBody) headers.set('content-type', 'application/json; charset=utf-8');
    const text = hasBody ? JSON.stringify(response.body) : null;
    await seal(response.status, text ?? '');
    return new Response(text, { status: response.status, headers });
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
