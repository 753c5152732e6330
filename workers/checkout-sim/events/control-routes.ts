import { Hono } from 'hono';
import { isObject, jsonBody } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { ckoError, invalid, notFound } from '../lib/errors';
import { deliveriesLog } from './deliveries-log';
import { raiseDispute } from './dispute-actions';
import { disputeView, isDisputeCategory } from './disputes';
import { getEvent, redeliverEvent } from './emit';
import { GUIDE_EVENT_TYPES, isGuideEventType } from './event-types';
import { releaseHeld } from './queue';
import { NO_FAULTS, readFaults, readOwnFaults, type WebhookFaults, writeFaults } from './settings';
import { trigger } from './triggers';

/**
 * The events module's control plane, under `/_sim` (the sim admin key is checked before routing, like
 * every `/_sim/*` route): raise a dispute, trigger an event, read the deliveries log, re-send an event,
 * and the webhook fault knobs.
 */
export const controlRoutes = new Hono<SimHonoEnv>();

/** `{ payment_id, amount?, category? | reason? }` → 201 with the dispute. */
controlRoutes.post('/_sim/disputes', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const codes: string[] = [];
  if (typeof body.payment_id !== 'string' || body.payment_id === '') codes.push('payment_id_required');
  const amount = body.amount;
  if (amount !== undefined && (!Number.isSafeInteger(amount) || (amount as number) <= 0))
    codes.push('amount_invalid');
  const category = body.category ?? body.reason ?? 'fraudulent';
  if (!isDisputeCategory(category)) codes.push('category_invalid');
  if (codes.length > 0 || typeof body.payment_id !== 'string' || !isDisputeCategory(category)) {
    return invalid(c, ...codes);
  }
  const r = raiseDispute(c.var.sim, body.payment_id, category, amount as number | undefined);
  if (!r.ok) return ckoError(c, r.status, r.errorType, r.codes);
  return c.json(disputeView(r.dispute, c.var.sim.origin), 201);
});

/** `{ type }` → 201 with what was created and the events emitted. */
controlRoutes.post('/_sim/trigger', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  if (typeof body.type !== 'string' || !isGuideEventType(body.type)) {
    return c.json(
      {
        request_id: c.get('requestId'),
        error_type: 'request_invalid',
        error_codes: [body.type === undefined ? 'type_required' : 'type_invalid'],
        message: `type must be one of: ${GUIDE_EVENT_TYPES.join(', ')}`,
      },
      422,
    );
  }
  return c.json(trigger(c.var.sim, body.type), 201);
});

/** The deliveries log: `?event_id=&workflow_id=&kind=&status=&limit=` (default 100, at most 1000). */
controlRoutes.get('/_sim/webhooks', (c) => {
  const limitRaw = c.req.query('limit');
  const limit = limitRaw === undefined ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return invalid(c, 'paging_limit_invalid');
  const eventId = c.req.query('event_id');
  const status = c.req.query('status');
  const workflowId = c.req.query('workflow_id');
  const kind = c.req.query('kind');
  return c.json(
    deliveriesLog(c.var.sim.sql, {
      limit,
      ...(eventId ? { eventId } : {}),
      ...(status ? { status } : {}),
      ...(workflowId ? { workflowId } : {}),
      ...(kind ? { kind } : {}),
    }),
  );
});

/** Re-sends an event to its matching workflows: 202 with the number of deliveries queued. */
controlRoutes.post('/_sim/webhooks/:eventId/redeliver', (c) => {
  const e = getEvent(c.var.sim.sql, c.req.param('eventId'));
  if (!e) return notFound(c);
  return c.json({ event_id: e.id, queued: redeliverEvent(c.var.sim, e) }, 202);
});

controlRoutes.get('/_sim/webhook-faults', (c) => c.json(readFaults(c.var.sim.sql)));

/**
 * Sets webhook faults (fields given replace the current ones; `reset: true` starts from all off):
 * `duplicate_rate` 0..1 (or `duplicate: true` for 1), `out_of_order` N ≥ 0, `drop_first_attempt`.
 * Turning `out_of_order` off releases held deliveries in their original order.
 */
controlRoutes.post('/_sim/webhook-faults', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const current = body.reset === true ? NO_FAULTS : readOwnFaults(c.var.sim.sql);
  const next: WebhookFaults = { ...current };
  const codes: string[] = [];
  if (body.duplicate !== undefined) {
    if (typeof body.duplicate !== 'boolean') codes.push('duplicate_invalid');
    else next.duplicate_rate = body.duplicate ? 1 : 0;
  }
  if (body.duplicate_rate !== undefined) {
    const r = body.duplicate_rate;
    if (typeof r !== 'number' || !(r >= 0 && r <= 1)) codes.push('duplicate_rate_invalid');
    else next.duplicate_rate = r;
  }
  if (body.out_of_order !== undefined) {
    const n = body.out_of_order;
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 1000) codes.push('out_of_order_invalid');
    else next.out_of_order = n as number;
  }
  if (body.drop_first_attempt !== undefined) {
    if (typeof body.drop_first_attempt !== 'boolean') codes.push('drop_first_attempt_invalid');
    else next.drop_first_attempt = body.drop_first_attempt;
  }
  const known = ['reset', 'duplicate', 'duplicate_rate', 'out_of_order', 'drop_first_attempt'];
  if (!isObject(body) || Object.keys(body).some((k) => !known.includes(k))) codes.push('field_unknown');
  if (codes.length > 0) return invalid(c, ...codes);
  writeFaults(c.var.sim.sql, next);
  const effective = readFaults(c.var.sim.sql);
  releaseHeld(c.var.sim, effective.out_of_order);
  return c.json(effective);
});
