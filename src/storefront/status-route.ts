import type { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';
import type { PaymentRouteOptions } from './payment-routes';
import { afterAnswer, parseId } from './route-helpers';
import { PaymentSessionId } from './schemas';
import { lookUpSessionStatus } from './session-status';
import { sessionGuard } from './stubs';

/**
 * `GET /v1/payment-sessions/{id}/status`: what the page polls after its submit answered
 * `504 upstream_outcome_unknown`. Reads only (session-status.ts); never submits. Answers only for
 * sessions Bollard created, and only the status and the payment id: no amounts, card or customer data.
 */
export function mountSessionStatusRoute(app: Hono<AppEnv>, options: PaymentRouteOptions): void {
  app.get('/v1/payment-sessions/:id/status', async (c) => {
    const id = parseId(c, PaymentSessionId);
    const guard = sessionGuard(c.env, id);
    const session = await guard.session(id);
    if (session === null) {
      throw new BollardError('not_found', {
        codes: ['payment_session_not_found'],
        message: 'Bollard did not create this payment session, or its record has expired',
      });
    }
    const { status, learned } = await lookUpSessionStatus(
      c.env,
      options.client(c.env),
      session,
      c.req.raw.signal,
    );
    if (learned !== null) {
      await afterAnswer(c, 'session payment', () => guard.rememberSessionPayment(id, learned));
    }
    return c.json(status, 200, { 'cache-control': 'no-store' });
  });
}
