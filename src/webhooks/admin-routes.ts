/**
 * Operator endpoints for the webhook inbox (admin token), and the demo page's event feed.
 *
 * For the storefront/demo page (coordination note): poll
 *   GET /v1/events/recent?payment_id=pay_…
 * → 200 `{ payment_id, data: [{ type, created_on, received_at, status }], payment: { status, currency,
 * amount_authorized, amount_captured, amount_refunded, amount_voided } | null }`, oldest event first. It
 * needs no credential but answers only when `DEMO_ENABLED = "true"` (404 otherwise), and shows event types,
 * times and amounts for one payment id the caller already knows — no references, customers or card data.
 * Everything else here is behind admin credentials, applied where src/operator mounts these routes.
 */
import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { locateEventShard } from './event-lookup';
import type { EventStatus, ListFilter } from './inbox-types';
import { listedEvent } from './index-store';
import type { PaymentProjection } from './projection';
import { inboxCatalogue, subjectInbox } from './stubs';

const EVENT_ID = /^evt_[A-Za-z0-9]{1,64}$/;
const PAYMENT_ID = /^pay_[A-Za-z0-9]{1,64}$/;
const DISPUTE_ID = /^dsp_[A-Za-z0-9]{1,64}$/;
const STATUSES: readonly EventStatus[] = ['pending', 'retrying', 'processed', 'dead_lettered'];
const MAX_LIMIT = 250;

function invalid(field: string, message: string): BollardError {
  return new BollardError('request_invalid', { codes: [`${field}_invalid`], message });
}

function notFound(what: string): BollardError {
  return new BollardError('not_found', { codes: [`${what}_not_found`], message: `no such ${what}` });
}

/** `limit` (1–250, default 50) and `skip` (≥ 0, default 0), as the guide's list endpoints page. */
function paging(q: (name: string) => string | undefined): { limit: number; skip: number } {
  const parse = (name: string, fallback: number, min: number, max: number): number => {
    const raw = q(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max)
      throw invalid(name, `${name} must be an integer in [${min}, ${max}]`);
    return n;
  };
  return { limit: parse('limit', 50, 1, MAX_LIMIT), skip: parse('skip', 0, 0, 1_000_000) };
}

export function adminWebhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin/events', async (c) => {
    const filter: ListFilter = { ...paging((n) => c.req.query(n)) };
    const type = c.req.query('type');
    const subject = c.req.query('subject');
    const status = c.req.query('status');
    if (type !== undefined) {
      if (!/^[a-z][a-z0-9_]{0,63}$/.test(type)) throw invalid('type', 'type must be an event type name');
      filter.type = type;
    }
    if (subject !== undefined) {
      if (!/^(pay|dsp|evt)_[A-Za-z0-9]{1,64}$/.test(subject))
        throw invalid('subject', 'subject must be a pay_, dsp_ or evt_ id');
      filter.subject = subject;
    }
    if (status !== undefined) {
      if (!(STATUSES as readonly string[]).includes(status))
        throw invalid('status', `status must be one of ${STATUSES.join(', ')}`);
      filter.status = status;
    }
    return c.json(await inboxCatalogue(c.env).list(filter));
  });

  // By id: found from the moment its delivery was acknowledged (event-lookup.ts), and in the listing's
  // types (ISO `received_at`, `dead_handlers` as an array).
  app.get('/admin/events/:id', async (c) => {
    const id = c.req.param('id');
    if (!EVENT_ID.test(id)) throw notFound('event');
    const shard = await locateEventShard(c.env, id);
    const detail = shard ? await shard.event(id) : null;
    if (!detail) throw notFound('event');
    return c.json({ ...listedEvent(detail), event: JSON.parse(detail.event) as Record<string, unknown> });
  });

  app.post('/admin/events/:id/replay', async (c) => {
    const id = c.req.param('id');
    if (!EVENT_ID.test(id)) throw notFound('event');
    const shard = await locateEventShard(c.env, id);
    const started = shard ? await shard.replay(id) : null;
    if (!started) throw notFound('event');
    c.get('log').info('webhook event replay requested', { event_id: id, replay: started.replay });
    return c.json({ id, replay: started.replay, handlers: started.handlers }, 202);
  });

  app.get('/admin/payments/:id', async (c) => {
    const id = c.req.param('id');
    if (!PAYMENT_ID.test(id)) throw notFound('payment');
    const projection = await subjectInbox(c.env, id).projection(id, 'payment');
    if (!projection) throw notFound('payment');
    return c.body(projection, 200, { 'content-type': 'application/json' });
  });

  app.get('/admin/disputes/:id', async (c) => {
    const id = c.req.param('id');
    if (!DISPUTE_ID.test(id)) throw notFound('dispute');
    const projection = await subjectInbox(c.env, id).projection(id, 'dispute');
    if (!projection) throw notFound('dispute');
    return c.body(projection, 200, { 'content-type': 'application/json' });
  });

  app.get('/admin/dead-letters', async (c) => {
    return c.json(
      await inboxCatalogue(c.env).list({ ...paging((n) => c.req.query(n)), status: 'dead_lettered' }),
    );
  });

  app.get('/admin/quarantine', async (c) => {
    const { limit, skip } = paging((n) => c.req.query(n));
    return c.json(await inboxCatalogue(c.env).quarantined(limit, skip));
  });

  app.get('/v1/events/recent', async (c) => {
    if (c.env.DEMO_ENABLED !== 'true')
      throw new BollardError('not_found', { codes: ['route_not_found'], message: 'no such route' });
    const paymentId = c.req.query('payment_id') ?? '';
    if (!PAYMENT_ID.test(paymentId)) throw invalid('payment_id', 'payment_id must be a pay_ id');
    const inbox = subjectInbox(c.env, paymentId);
    const [feed, stored] = await Promise.all([inbox.feed(paymentId), inbox.projection(paymentId, 'payment')]);
    const projection = stored ? (JSON.parse(stored) as PaymentProjection) : null;
    return c.json({
      payment_id: paymentId,
      data: feed.map((e) => ({
        type: e.type,
        created_on: e.created_on,
        received_at: new Date(e.received_at).toISOString(),
        status: e.status,
      })),
      payment: projection
        ? {
            status: projection.status,
            currency: projection.currency,
            amount_authorized: projection.amount_authorized,
            amount_captured: projection.amount_captured,
            amount_refunded: projection.amount_refunded,
            amount_voided: projection.amount_voided,
          }
        : null,
    });
  });

  return app;
}
