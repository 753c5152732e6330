import { newId } from '../lib/ids';
import type { WebhookActionInput, WorkflowConditionInput, WorkflowInput } from './workflow-input';

export type WorkflowCondition = WorkflowConditionInput & { id: string };
export type WebhookAction = WebhookActionInput & { id: string };

export interface Workflow {
  id: string;
  name: string;
  active: boolean;
  conditions: WorkflowCondition[];
  actions: WebhookAction[];
}

interface WorkflowRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  active: number;
  conditions: string;
  actions: string;
}

function fromRow(row: WorkflowRow): Workflow {
  return {
    id: row.id,
    name: row.name,
    active: row.active === 1,
    conditions: JSON.parse(row.conditions) as WorkflowCondition[],
    actions: JSON.parse(row.actions) as WebhookAction[],
  };
}

const withConditionIds = (cs: WorkflowConditionInput[]): WorkflowCondition[] =>
  cs.map((c) => ({ id: newId('wfc'), ...c }));
const withActionIds = (as: WebhookActionInput[]): WebhookAction[] =>
  as.map((a) => ({ id: newId('wfa'), ...a }));

export function createWorkflow(sql: SqlStorage, input: WorkflowInput): Workflow {
  const wf: Workflow = {
    id: newId('wf'),
    name: input.name,
    active: input.active,
    conditions: withConditionIds(input.conditions),
    actions: withActionIds(input.actions),
  };
  sql.exec(
    `INSERT INTO sim_workflows (id, seq, name, active, conditions, actions)
     VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sim_workflows), ?, ?, ?, ?)`,
    wf.id,
    wf.name,
    wf.active ? 1 : 0,
    JSON.stringify(wf.conditions),
    JSON.stringify(wf.actions),
  );
  return wf;
}

export function listWorkflows(sql: SqlStorage): Workflow[] {
  return sql
    .exec<WorkflowRow>('SELECT id, name, active, conditions, actions FROM sim_workflows ORDER BY seq')
    .toArray()
    .map(fromRow);
}

export function getWorkflow(sql: SqlStorage, id: string): Workflow | null {
  const row = sql
    .exec<WorkflowRow>('SELECT id, name, active, conditions, actions FROM sim_workflows WHERE id = ?', id)
    .toArray()[0];
  return row ? fromRow(row) : null;
}

export function updateWorkflow(sql: SqlStorage, id: string, patch: Partial<WorkflowInput>): Workflow | null {
  const wf = getWorkflow(sql, id);
  if (!wf) return null;
  const next: Workflow = {
    id,
    name: patch.name ?? wf.name,
    active: patch.active ?? wf.active,
    conditions: patch.conditions ? withConditionIds(patch.conditions) : wf.conditions,
    actions: patch.actions ? withActionIds(patch.actions) : wf.actions,
  };
  sql.exec(
    'UPDATE sim_workflows SET name = ?, active = ?, conditions = ?, actions = ? WHERE id = ?',
    next.name,
    next.active ? 1 : 0,
    JSON.stringify(next.conditions),
    JSON.stringify(next.actions),
    id,
  );
  return next;
}

/** Writes a workflow's conditions and actions back (the sub-resource routes edit them one at a time). */
export function saveWorkflowParts(sql: SqlStorage, wf: Workflow): void {
  sql.exec(
    'UPDATE sim_workflows SET conditions = ?, actions = ? WHERE id = ?',
    JSON.stringify(wf.conditions),
    JSON.stringify(wf.actions),
    wf.id,
  );
}

export function deleteWorkflow(sql: SqlStorage, id: string): boolean {
  return sql.exec('DELETE FROM sim_workflows WHERE id = ?', id).rowsWritten > 0;
}

/** What a workflow's conditions are tested against. */
export interface EventFacts {
  type: string;
  entityId?: string | undefined;
  processingChannelId?: string | undefined;
}

/**
 * True when every condition of the workflow holds for the event (conditions are ANDed, as a workflow
 * with an event condition and a processing-channel condition fires only for both). A workflow without
 * an event condition fires for every event type.
 */
export function workflowMatches(wf: Workflow, event: EventFacts): boolean {
  if (!wf.active) return false;
  return wf.conditions.every((c) => conditionHolds(c, event));
}

function conditionHolds(c: WorkflowCondition, event: EventFacts): boolean {
  switch (c.type) {
    case 'event':
      return Object.values(c.events).some((names) => names.includes(event.type));
    case 'entity':
      return event.entityId !== undefined && c.entities.includes(event.entityId);
    case 'processing_channel':
      return (
        event.processingChannelId !== undefined && c.processing_channels.includes(event.processingChannelId)
      );
  }
}

/** A condition as the API shows it. */
export function conditionView(wf: Workflow, c: WorkflowCondition, origin: string): Record<string, unknown> {
  return { ...c, _links: { self: { href: `${origin}/workflows/${wf.id}/conditions/${c.id}` } } };
}

/**
 * An action as the API shows it. The real API echoes `signature.key` and header values; the simulator
 * does not, because no response of this project ever carries a secret.
 */
export function actionView(wf: Workflow, a: WebhookAction, origin: string): Record<string, unknown> {
  return {
    id: a.id,
    type: a.type,
    url: a.url,
    // Header values are often shared secrets (`Authorization`), so only their names are shown.
    headers: Object.fromEntries(Object.keys(a.headers).map((k) => [k, '[redacted]'])),
    signature: { method: a.signature.method },
    _links: { self: { href: `${origin}/workflows/${wf.id}/actions/${a.id}` } },
  };
}

/** The API view of a workflow, with HAL links (secrets left out, see `actionView`). */
export function workflowView(wf: Workflow, origin: string): Record<string, unknown> {
  return {
    id: wf.id,
    name: wf.name,
    active: wf.active,
    conditions: wf.conditions.map((c) => conditionView(wf, c, origin)),
    actions: wf.actions.map((a) => actionView(wf, a, origin)),
    _links: { self: { href: `${origin}/workflows/${wf.id}` } },
  };
}

export function workflowSummary(wf: Workflow, origin: string): Record<string, unknown> {
  return {
    id: wf.id,
    name: wf.name,
    active: wf.active,
    _links: { self: { href: `${origin}/workflows/${wf.id}` } },
  };
}
