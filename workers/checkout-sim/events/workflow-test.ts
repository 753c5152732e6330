import type { SimContext } from '../lib/context';
import { newId } from '../lib/ids';
import { recordEvent } from './emit';
import { SUBSCRIBABLE_EVENTS } from './event-types';
import { queueTestDeliveries } from './queue';
import type { Workflow } from './workflows';

/**
 * `POST /workflows/{id}/test` (the SDKs' `workflows.test`, "validate a workflow in our Sandbox
 * environment"): body `{ event_types: [...] }` (checkout-sdk-go `events.EventTypesRequest`), answer 204
 * with no body (checkout-sdk-node's tests reply 204; Java and .NET read an empty response).
 */

const DISPUTE_TYPES: readonly string[] = SUBSCRIBABLE_EVENTS.dispute ?? [];
const ALL_TYPES: readonly string[] = Object.values(SUBSCRIBABLE_EVENTS).flat();

export type EventTypesParse = { ok: true; types: string[] } | { ok: false; code: string };

/** `event_types`: a non-empty array of event names a workflow could subscribe to, without repeats. */
export function parseEventTypes(value: unknown): EventTypesParse {
  if (value === undefined) return { ok: false, code: 'event_types_required' };
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((t): t is string => typeof t === 'string' && ALL_TYPES.includes(t))
  ) {
    return { ok: false, code: 'event_types_invalid' };
  }
  return { ok: true, types: [...new Set(value)] };
}

/**
 * A sample event's subject and `data`: made-up ids (nothing in the simulator's state changes) in the
 * shape the real events carry, so a receiver that validates event bodies accepts them.
 */
function sample(type: string, now: number): { subjectId: string; data: Record<string, unknown> } {
  const processedOn = new Date(now).toISOString();
  if (DISPUTE_TYPES.includes(type)) {
    const id = newId('dsp');
    return {
      subjectId: id,
      data: {
        id,
        category: 'fraudulent',
        amount: 1000,
        currency: 'GBP',
        reason_code: '10.4',
        payment_id: newId('pay'),
        payment_reference: 'workflow-test',
        evidence_required_by: new Date(now + 7 * 24 * 3600_000).toISOString(),
        date: processedOn,
      },
    };
  }
  const id = newId('pay');
  const declined = type.endsWith('_declined');
  return {
    subjectId: id,
    data: {
      id,
      action_id: newId('act'),
      reference: 'workflow-test',
      amount: type === 'card_verified' ? 0 : 1000,
      currency: 'GBP',
      processed_on: processedOn,
      response_code: declined ? '20005' : '10000',
      response_summary: declined ? 'Declined - Do Not Honour' : 'Approved',
      metadata: {},
    },
  };
}

/**
 * Records one sample event per type and queues it to every webhook action of `workflow` (signed, retried
 * and logged like any delivery, with kind `test`). Returns the event ids, in the order of `types`.
 */
export function testWorkflow(sim: SimContext, workflow: Workflow, types: readonly string[]): string[] {
  return types.map((type) => {
    const { subjectId, data } = sample(type, sim.now());
    const id = recordEvent(sim, type, subjectId, data);
    queueTestDeliveries(sim, id, workflow);
    return id;
  });
}
