import type { SimContext } from '../lib/context';
import { newId } from '../lib/ids';
import { getPayment } from '../routes/payments-store';
import { queueDeliveries } from './queue';

/** The envelope `version` the simulator stamps on events (as in the docs' examples). */
export const EVENT_VERSION = '1.0.29';

export interface StoredEvent {
  id: string;
  type: string;
  subjectId: string;
  createdAt: number;
  /** The exact JSON bytes delivered and signed. */
  body: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The payment an event is about: the subject itself, or the disputed payment. */
function paymentIdOf(subjectId: string, data: Record<string, unknown>): string | undefined {
  return subjectId.startsWith('pay_') ? subjectId : str(data.payment_id);
}

/**
 * Builds the real envelope (facts §6): `{ id, type, version, created_on, data, _links }`, with
 * `data.event_links` and `_links.payment`/`payment_actions` for events about a payment.
 */
export function buildEnvelope(
  origin: string,
  id: string,
  type: string,
  subjectId: string,
  createdAt: number,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const paymentId = paymentIdOf(subjectId, data);
  const links: Record<string, { href: string }> = {
    self: { href: `${origin}/workflows/events/${id}` },
    subject: { href: `${origin}/workflows/events/subject/${subjectId}` },
  };
  let eventData = data;
  if (paymentId) {
    links.payment = { href: `${origin}/payments/${paymentId}` };
    links.payment_actions = { href: `${origin}/payments/${paymentId}/actions` };
    if (subjectId === paymentId && data.event_links === undefined) {
      eventData = {
        ...data,
        event_links: { payment: links.payment.href, payment_actions: links.payment_actions.href },
      };
    }
  }
  return {
    id,
    type,
    version: EVENT_VERSION,
    created_on: new Date(createdAt).toISOString(),
    data: eventData,
    _links: links,
  };
}

/**
 * Records an event and queues its delivery to every matching active workflow, then arms the Durable
 * Object alarm that delivers it. Synchronous apart from the alarm write, so a handler can emit between
 * its SQL statements without giving up atomicity. Returns the event id (`evt_...`).
 */
export function emitEvent(
  sim: SimContext,
  type: string,
  subjectId: string,
  data: Record<string, unknown>,
): string {
  const id = recordEvent(sim, type, subjectId, data);
  queueDeliveries(sim, id, () => ({ type, ...eventFacts(sim.sql, subjectId, data) }), { kind: 'original' });
  return id;
}

/**
 * Stores an event (its envelope's exact bytes, which every delivery sends and `GET /workflows/events/{id}`
 * returns) without queueing any delivery. Returns the event id.
 */
export function recordEvent(
  sim: SimContext,
  type: string,
  subjectId: string,
  data: Record<string, unknown>,
): string {
  const id = newId('evt');
  const createdAt = sim.now();
  const body = JSON.stringify(buildEnvelope(sim.origin, id, type, subjectId, createdAt, data));
  sim.sql.exec(
    `INSERT INTO sim_events (id, seq, type, subject_id, created_at, body)
     VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sim_events), ?, ?, ?, ?)`,
    id,
    type,
    subjectId,
    createdAt,
    body,
  );
  return id;
}

/**
 * The facts workflow conditions test: the entity and processing channel, from the event data or else
 * from the payment the event is about (payment event data does not carry them).
 */
export function eventFacts(
  sql: SqlStorage,
  subjectId: string,
  data: Record<string, unknown>,
): { entityId?: string; processingChannelId?: string } {
  const paymentId = paymentIdOf(subjectId, data);
  const payment = paymentId ? getPayment(sql, paymentId) : null;
  const facts: { entityId?: string; processingChannelId?: string } = {};
  const entity = str(data.entity_id) ?? payment?.entity_id;
  const channel = str(data.processing_channel_id) ?? payment?.processing_channel_id;
  if (entity) facts.entityId = entity;
  if (channel) facts.processingChannelId = channel;
  return facts;
}

interface EventRow extends Record<string, SqlStorageValue> {
  id: string;
  type: string;
  subject_id: string;
  created_at: number;
  body: string;
}

const toStored = (r: EventRow): StoredEvent => ({
  id: r.id,
  type: r.type,
  subjectId: r.subject_id,
  createdAt: r.created_at,
  body: r.body,
});

export function getEvent(sql: SqlStorage, id: string): StoredEvent | null {
  const row = sql
    .exec<EventRow>('SELECT id, type, subject_id, created_at, body FROM sim_events WHERE id = ?', id)
    .toArray()[0];
  return row ? toStored(row) : null;
}

export function eventsForSubject(sql: SqlStorage, subjectId: string): StoredEvent[] {
  return sql
    .exec<EventRow>(
      'SELECT id, type, subject_id, created_at, body FROM sim_events WHERE subject_id = ? ORDER BY seq',
      subjectId,
    )
    .toArray()
    .map(toStored);
}

/** Re-queues an event for every matching active workflow (or only the given ones): reflow. */
export function redeliverEvent(sim: SimContext, event: StoredEvent, workflowIds?: readonly string[]): number {
  const data = (JSON.parse(event.body) as { data?: Record<string, unknown> }).data ?? {};
  return queueDeliveries(
    sim,
    event.id,
    () => ({ type: event.type, ...eventFacts(sim.sql, event.subjectId, data) }),
    workflowIds ? { kind: 'redelivery', workflowIds } : { kind: 'redelivery' },
  );
}
