import { Hono } from 'hono';
import { isObject, jsonBody } from '../lib/body';
import { getConfig } from '../lib/config';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { cancelDeliveriesFor } from './deliveries-log';
import { eventsForSubject, getEvent, redeliverEvent, type StoredEvent } from './emit';
import { SUBSCRIBABLE_EVENTS } from './event-types';
import { parseWorkflowInput, parseWorkflowPatch } from './workflow-input';
import { parseEventTypes, testWorkflow } from './workflow-test';
import {
  createWorkflow,
  deleteWorkflow,
  getWorkflow,
  listWorkflows,
  updateWorkflow,
  workflowSummary,
  workflowView,
} from './workflows';

/**
 * Workflows (facts §4.11): CRUD, the event types, the events log by id and by subject, reflow, and the
 * sandbox's workflow test.
 * The catalog's five workflow rows are checked by the shared auth middleware; the event routes are
 * not catalog rows (the 2021 spec scopes them `flow:events` / `flow:reflow`).
 */
export const workflowRoutes = new Hono<SimHonoEnv>();

workflowRoutes.post('/workflows', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const parsed = parseWorkflowInput(body);
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  const wf = createWorkflow(c.var.sim.sql, parsed.value);
  return c.json({ id: wf.id, _links: { self: { href: `${c.var.sim.origin}/workflows/${wf.id}` } } }, 201);
});

workflowRoutes.get('/workflows', (c) =>
  c.json({ data: listWorkflows(c.var.sim.sql).map((wf) => workflowSummary(wf, c.var.sim.origin)) }),
);

workflowRoutes.get('/workflows/event-types', (c) =>
  c.json(
    Object.entries(SUBSCRIBABLE_EVENTS).map(([id, events]) => ({
      id,
      display_name: id === 'gateway' ? 'Gateway' : 'Disputes',
      events: events.map((e) => ({ id: e, display_name: e.replaceAll('_', ' ') })),
    })),
  ),
);

function eventView(e: StoredEvent): Record<string, unknown> {
  return JSON.parse(e.body) as Record<string, unknown>;
}

workflowRoutes.get('/workflows/events/subject/:subjectId', (c) => {
  const events = eventsForSubject(c.var.sim.sql, c.req.param('subjectId'));
  return c.json({
    data: events.map((e) => ({
      id: e.id,
      type: e.type,
      timestamp: new Date(e.createdAt).toISOString(),
      _links: { self: { href: `${c.var.sim.origin}/workflows/events/${e.id}` } },
    })),
  });
});

workflowRoutes.get('/workflows/events/:eventId', (c) => {
  const e = getEvent(c.var.sim.sql, c.req.param('eventId'));
  return e ? c.json(eventView(e)) : notFound(c);
});

function workflowFilter(body: Record<string, unknown>): string[] | undefined | null {
  const wfs = body.workflows;
  if (wfs === undefined) return undefined;
  if (!Array.isArray(wfs) || !wfs.every((w) => typeof w === 'string')) return null;
  return wfs;
}

/** Re-sends one event to its matching workflows (or the listed ones): 202, as the real reflow answers. */
workflowRoutes.post('/workflows/events/:eventId/reflow', async (c) => {
  const sim = c.var.sim;
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const e = getEvent(sim.sql, c.req.param('eventId'));
  if (!e) return notFound(c);
  const filter = workflowFilter(body);
  if (filter === null) return invalid(c, 'workflows_invalid');
  redeliverEvent(sim, e, filter);
  return c.body(null, 202);
});

/** `{ events: [...] }` or `{ subjects: [...] }`, optionally `workflows: [...]`. */
workflowRoutes.post('/workflows/events/reflow', async (c) => {
  const sim = c.var.sim;
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const filter = workflowFilter(body);
  const ids = (v: unknown) =>
    Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string') ? v : null;
  const eventIds = body.events === undefined ? undefined : ids(body.events);
  const subjects = body.subjects === undefined ? undefined : ids(body.subjects);
  const codes: string[] = [];
  if (filter === null) codes.push('workflows_invalid');
  if (eventIds === null) codes.push('events_invalid');
  if (subjects === null) codes.push('subjects_invalid');
  if (eventIds === undefined && subjects === undefined) codes.push('events_or_subjects_required');
  if (codes.length > 0) return invalid(c, ...codes);
  const events: StoredEvent[] = [];
  for (const id of eventIds ?? []) {
    const e = getEvent(sim.sql, id);
    if (e) events.push(e);
  }
  for (const s of subjects ?? []) events.push(...eventsForSubject(sim.sql, s));
  for (const e of events) redeliverEvent(sim, e, filter ?? undefined);
  return c.body(null, 202);
});

workflowRoutes.get('/workflows/:id', (c) => {
  const wf = getWorkflow(c.var.sim.sql, c.req.param('id'));
  return wf ? c.json(workflowView(wf, c.var.sim.origin)) : notFound(c);
});

workflowRoutes.patch('/workflows/:id', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  if (!getWorkflow(c.var.sim.sql, c.req.param('id'))) return notFound(c);
  const parsed = parseWorkflowPatch(isObject(body) ? body : {});
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  const wf = updateWorkflow(c.var.sim.sql, c.req.param('id'), parsed.value);
  return wf ? c.json(workflowView(wf, c.var.sim.origin)) : notFound(c);
});

/**
 * Sends sample events of the given types through the workflow's webhook actions, signed like any
 * delivery: 204. Sandbox only — the simulator set to `environment: "production"` answers 404 as the
 * production API does. Scopes as the other workflow routes (`lib/gate.ts`).
 */
workflowRoutes.post('/workflows/:id/test', async (c) => {
  const sim = c.var.sim;
  if (getConfig(sim.sql, sim.env).environment === 'production') return notFound(c);
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const wf = getWorkflow(sim.sql, c.req.param('id'));
  if (!wf) return notFound(c);
  const parsed = parseEventTypes(body.event_types);
  if (!parsed.ok) return invalid(c, parsed.code);
  testWorkflow(sim, wf, parsed.types);
  return c.body(null, 204);
});

workflowRoutes.delete('/workflows/:id', (c) => {
  const id = c.req.param('id');
  if (!deleteWorkflow(c.var.sim.sql, id)) return notFound(c);
  cancelDeliveriesFor(c.var.sim.sql, id);
  return c.body(null, 204);
});
