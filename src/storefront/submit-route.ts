import type { Hono } from 'hono';
import { IDEMPOTENCY_HEADER } from '../checkout';
import { upstreamTiming } from '../checkout/from-env';
import { type AppEnv, BollardError, isBollardError } from '../http';
import { guardedWrite } from './guarded-write';
import { parseIdempotencyKey } from './idempotency';
import type { PaymentRouteOptions } from './payment-routes';
import { afterAnswer, type Ctx, parseBody, parseId } from './route-helpers';
import { PaymentSessionId, SubmitPaymentSessionRequest } from './schemas';
import { sessionGuard } from './stubs';
import { submitKeyFor } from './submit-key';

/**
 * `POST /v1/payment-sessions/{id}/submit`: the one money-moving call of the storefront, under one
 * `Cko-Idempotency-Key` end to end (submit-key.ts), returned on every answer.
 *
 * - The browser's `Idempotency-Key`: the guard records the request under the session-scoped key (so
 *   the browser's key and the returned header value are one record): a finished answer is replayed,
 *   a concurrent repeat gets 409, another body 422. Failures are not recorded (guarded-write.ts).
 * - No `Idempotency-Key`: no guard record. A double click sends the same derived key twice; Checkout.com
 *   processes one and the outbound client waits out its in-flight refusal of the other, so both answers
 *   are the one payment's.
 */

/**
 * How long a submit holds its guard record if it never finishes: the storefront's upstream deadline
 * (every attempt ends inside it) and a margin for the guard calls around it. A retry after an unknown
 * outcome never waits for it: the record is released before the 504 goes out.
 */
const LEASE_MARGIN_MS = 5_000;

/** The error, answered with the submit's key (every answer carries it, errors included). */
function withKey(c: Ctx, err: unknown, key: string): BollardError {
  if (isBollardError(err)) {
    if (err.idempotencyKeyHeader !== undefined) return err;
    return new BollardError(err.type, {
      status: err.status,
      codes: err.codes,
      ...(err.message !== err.type ? { message: err.message } : {}),
      ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : {}),
      idempotencyKey: key,
      cause: err,
    });
  }
  // Unexpected: logged here, as app.onError would, and answered as its generic 500 — with the key.
  c.get('log').error('unhandled error', { error: err });
  return new BollardError('internal_error', { message: 'internal error', idempotencyKey: key, cause: err });
}

export function mountSubmitRoute(app: Hono<AppEnv>, options: PaymentRouteOptions): void {
  app.post('/v1/payment-sessions/:id/submit', async (c) => {
    const id = parseId(c, PaymentSessionId);
    const input = await parseBody(c, SubmitPaymentSessionRequest);
    const browserKey = parseIdempotencyKey(c.req.header('idempotency-key'));
    const { key, source } = await submitKeyFor(id, browserKey, input.session_data);
    let res: Response;
    try {
      res = await guardedWrite(c, {
        route: `/v1/payment-sessions/${id}/submit`,
        body: input,
        order: null,
        guardKey: source === 'caller' ? key : null,
        leaseMs: upstreamTiming(c.env, 'storefront').deadlineMs + LEASE_MARGIN_MS,
        send: async () => {
          const answer = await options.client(c.env).call<{ id?: unknown }>('submitPaymentSession', {
            params: { id },
            body: { session_data: input.session_data },
            idempotencyKey: key,
            signal: c.req.raw.signal,
          });
          const paymentId = answer.body.id;
          if (typeof paymentId === 'string' && /^pay_\w{1,64}$/.test(paymentId)) {
            await afterAnswer(c, 'session payment', () =>
              sessionGuard(c.env, id).rememberSessionPayment(id, paymentId),
            );
          }
          return answer;
        },
      });
    } catch (err) {
      throw withKey(c, err, key);
    }
    res.headers.set(IDEMPOTENCY_HEADER, key);
    return res;
  });
}
