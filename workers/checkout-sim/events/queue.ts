import type { SimContext } from '../lib/context';
import { readFaults } from './settings';
import { type EventFacts, listWorkflows, type Workflow, workflowMatches } from './workflows';

/**
 * Why a delivery row exists: the event itself, a duplicate-delivery fault, a re-send (reflow), or a
 * workflow test (`POST /workflows/{id}/test`).
 */
export type DeliveryKind = 'original' | 'duplicate' | 'redelivery' | 'test';

/**
 * pending → in_flight → delivered | pending (retry) | failed; `held` while the out-of-order fault holds
 * it; `canceled` when its workflow was deleted first.
 */
export type DeliveryStatus = 'held' | 'pending' | 'in_flight' | 'delivered' | 'failed' | 'canceled';

export interface QueueOptions {
  kind: Exclude<DeliveryKind, 'duplicate' | 'test'>;
  /** Restricts a re-send to these workflows. */
  workflowIds?: readonly string[];
}

/**
 * Queues one delivery per action of every active workflow whose conditions match the event, applying
 * the duplicate and out-of-order faults, and arms the alarm. Returns the number of rows queued. The
 * event's facts are computed only when some workflow is active (they may need a payment lookup).
 */
export function queueDeliveries(
  sim: SimContext,
  eventId: string,
  factsOf: () => EventFacts,
  options: QueueOptions,
): number {
  const workflows = listWorkflows(sim.sql).filter((wf) => wf.active);
  // Most events meet no workflow (benchmarks, tests without one): then nothing else is read.
  if (workflows.length === 0) return 0;
  const facts = factsOf();
  const targets = workflows.filter(
    (wf) => (!options.workflowIds || options.workflowIds.includes(wf.id)) && workflowMatches(wf, facts),
  );
  return queueTo(sim, eventId, targets, options.kind);
}

/**
 * Queues a workflow test's sample event to every webhook action of that one workflow. The caller named
 * the workflow and the event types, so its conditions and `active` flag are not consulted; delivery,
 * signature, retries and webhook faults are those of any event.
 */
export function queueTestDeliveries(sim: SimContext, eventId: string, workflow: Workflow): number {
  return queueTo(sim, eventId, [workflow], 'test');
}

function queueTo(
  sim: SimContext,
  eventId: string,
  workflows: readonly Workflow[],
  kind: Exclude<DeliveryKind, 'duplicate'>,
): number {
  const now = sim.now();
  const faults = readFaults(sim.sql);
  const hold = faults.out_of_order > 0;
  let queued = 0;
  const insert = (
    wf: string,
    action: { id: string; url: string; headers: Record<string, string> },
    key: string,
    rowKind: DeliveryKind,
  ) => {
    sim.sql.exec(
      `INSERT INTO sim_deliveries
         (event_id, workflow_id, action_id, url, headers, signature_key, status, next_attempt_at, kind, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      eventId,
      wf,
      action.id,
      action.url,
      JSON.stringify(action.headers),
      key,
      hold ? 'held' : 'pending',
      hold ? null : now,
      rowKind,
      now,
    );
    queued++;
  };
  for (const wf of workflows) {
    for (const action of wf.actions) {
      insert(wf.id, action, action.signature.key, kind);
      if (faults.duplicate_rate > 0 && Math.random() < faults.duplicate_rate) {
        insert(wf.id, action, action.signature.key, 'duplicate');
      }
    }
  }
  // Also when the fault was switched off elsewhere (`/_sim/faults`): nothing stays held without it.
  releaseHeld(sim, faults.out_of_order);
  if (queued > 0) armAlarm(sim, now);
  return queued;
}

/**
 * Releases held deliveries, in a shuffled order, once at least `threshold` are held (0 releases all
 * now, in queue order: used when the fault is switched off). A shuffle that happens to keep the queue
 * order is reversed instead, so "out of order" is always observable with two or more deliveries.
 */
export function releaseHeld(sim: SimContext, threshold: number): number {
  const held = sim.sql
    .exec<{ id: number }>("SELECT id FROM sim_deliveries WHERE status = 'held' ORDER BY id")
    .toArray()
    .map((r) => r.id);
  if (held.length === 0 || held.length < threshold) return 0;
  let order = [...held];
  if (threshold > 0) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    if (order.every((id, i) => id === held[i])) order = order.reverse();
  }
  const now = sim.now();
  order.forEach((id, position) => {
    sim.sql.exec(
      "UPDATE sim_deliveries SET status = 'pending', next_attempt_at = ?, order_key = ? WHERE id = ?",
      now,
      position,
      id,
    );
  });
  armAlarm(sim, now);
  return order.length;
}

/** The earliest time a pending delivery is due, or null when nothing is pending. */
export function nextDeliveryDueAt(sql: SqlStorage): number | null {
  const row = sql
    .exec<{ at: number | null }>(
      "SELECT MIN(next_attempt_at) AS at FROM sim_deliveries WHERE status = 'pending'",
    )
    .toArray()[0];
  return row?.at ?? null;
}

/**
 * Sim time (`sim.now()`, which a test may shift with `clock_offset_ms`) as wall-clock time, which is what
 * Durable Object alarms are scheduled in.
 */
function toWallClock(sim: Pick<SimContext, 'now'>, simTime: number): number {
  return simTime - (sim.now() - Date.now());
}

/**
 * Sets the Durable Object's one alarm to sim time `at`. Emitting is synchronous (handlers call it between
 * SQL statements), so the alarm write is started here and completes under the object's output gate.
 * Setting the alarm earlier than another owner wanted is safe by contract: every alarm run calls every
 * owner's "run what is due", and each re-arms for its own next time (see `rearmAlarm`).
 */
export function armAlarm(sim: Pick<SimContext, 'storage' | 'now'>, at: number): void {
  sim.storage.setAlarm(toWallClock(sim, at)).catch((err: unknown) => {
    console.error(
      'checkout-sim: could not arm the delivery alarm',
      err instanceof Error ? err.name : 'error',
    );
  });
}

/** After an alarm run: makes sure the alarm fires no later than the next pending delivery. */
export async function rearmAlarm(sim: Pick<SimContext, 'sql' | 'storage' | 'now'>): Promise<void> {
  const next = nextDeliveryDueAt(sim.sql);
  if (next === null) return;
  const wall = toWallClock(sim, next);
  const current = await sim.storage.getAlarm();
  if (current === null || current > wall) await sim.storage.setAlarm(wall);
}
