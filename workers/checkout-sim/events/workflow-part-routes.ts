import { type Context, Hono } from 'hono';
import { jsonBody } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { cancelDeliveriesForAction, invocationsFor } from './deliveries-log';
import { getEvent } from './emit';
import { parseOneAction, parseOneCondition } from './workflow-input';
import {
  actionView,
  conditionView,
  getWorkflow,
  saveWorkflowParts,
  type Workflow,
  type WorkflowCondition,
} from './workflows';

/**
 * A workflow's actions and conditions one at a time (facts §4.11: `POST/PUT/DELETE
 * /workflows/{id}/actions[/{actionId}]`, the same for conditions), and the invocations of one action
 * for one event (`GET /workflows/events/{eventId}/actions/{actionId}`).
 */
export const workflowPartRoutes = new Hono<SimHonoEnv>();

function loadWorkflow(c: Context<SimHonoEnv>): Workflow | null {
  return getWorkflow(c.var.sim.sql, c.req.param('id') ?? '');
}

function duplicateType(wf: Workflow, type: WorkflowCondition['type'], exceptId?: string): boolean {
  return wf.conditions.some((x) => x.type === type && x.id !== exceptId);
}

workflowPartRoutes.post('/workflows/:id/actions', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const wf = loadWorkflow(c);
  if (!wf) return notFound(c);
  const parsed = parseOneAction(body);
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  const action = { id: newId('wfa'), ...parsed.value };
  saveWorkflowParts(c.var.sim.sql, { ...wf, actions: [...wf.actions, action] });
  const { _links } = actionView(wf, action, c.var.sim.origin);
  return c.json({ id: action.id, _links }, 201);
});

workflowPartRoutes.put('/workflows/:id/actions/:actionId', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const wf = loadWorkflow(c);
  const id = c.req.param('actionId');
  if (!wf?.actions.some((a) => a.id === id)) return notFound(c);
  const parsed = parseOneAction(body);
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  const action = { id, ...parsed.value };
  saveWorkflowParts(c.var.sim.sql, { ...wf, actions: wf.actions.map((a) => (a.id === id ? action : a)) });
  return c.json(actionView(wf, action, c.var.sim.origin));
});

workflowPartRoutes.delete('/workflows/:id/actions/:actionId', (c) => {
  const wf = loadWorkflow(c);
  const id = c.req.param('actionId');
  if (!wf?.actions.some((a) => a.id === id)) return notFound(c);
  // A workflow keeps at least one action, as one is required to create it.
  if (wf.actions.length === 1) return invalid(c, 'actions_required');
  saveWorkflowParts(c.var.sim.sql, { ...wf, actions: wf.actions.filter((a) => a.id !== id) });
  cancelDeliveriesForAction(c.var.sim.sql, id);
  return c.body(null, 204);
});

workflowPartRoutes.post('/workflows/:id/conditions', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const wf = loadWorkflow(c);
  if (!wf) return notFound(c);
  const parsed = parseOneCondition(body);
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  if (duplicateType(wf, parsed.value.type)) return invalid(c, 'conditions_duplicate_type');
  const condition: WorkflowCondition = { id: newId('wfc'), ...parsed.value };
  saveWorkflowParts(c.var.sim.sql, { ...wf, conditions: [...wf.conditions, condition] });
  const { _links } = conditionView(wf, condition, c.var.sim.origin);
  return c.json({ id: condition.id, _links }, 201);
});

workflowPartRoutes.put('/workflows/:id/conditions/:conditionId', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const wf = loadWorkflow(c);
  const id = c.req.param('conditionId');
  if (!wf?.conditions.some((x) => x.id === id)) return notFound(c);
  const parsed = parseOneCondition(body);
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  if (duplicateType(wf, parsed.value.type, id)) return invalid(c, 'conditions_duplicate_type');
  const condition: WorkflowCondition = { id, ...parsed.value };
  saveWorkflowParts(c.var.sim.sql, {
    ...wf,
    conditions: wf.conditions.map((x) => (x.id === id ? condition : x)),
  });
  return c.json(conditionView(wf, condition, c.var.sim.origin));
});

workflowPartRoutes.delete('/workflows/:id/conditions/:conditionId', (c) => {
  const wf = loadWorkflow(c);
  const id = c.req.param('conditionId');
  if (!wf?.conditions.some((x) => x.id === id)) return notFound(c);
  if (wf.conditions.length === 1) return invalid(c, 'conditions_required');
  saveWorkflowParts(c.var.sim.sql, { ...wf, conditions: wf.conditions.filter((x) => x.id !== id) });
  return c.body(null, 204);
});

/** Every attempt to deliver one event through one action (all its deliveries: original, duplicates, re-sends). */
workflowPartRoutes.get('/workflows/events/:eventId/actions/:actionId', (c) => {
  const sim = c.var.sim;
  const event = getEvent(sim.sql, c.req.param('eventId'));
  if (!event) return notFound(c);
  const found = invocationsFor(sim.sql, event.id, c.req.param('actionId'));
  if (!found) return notFound(c);
  return c.json({
    workflow_id: found.workflowId,
    workflow_action_id: c.req.param('actionId'),
    status: found.status,
    action_invocations: found.invocations,
    _links: {
      self: { href: `${sim.origin}/workflows/events/${event.id}/actions/${c.req.param('actionId')}` },
    },
  });
});
