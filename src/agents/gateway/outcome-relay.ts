import type { FinishRequest } from '../objects/agent/rpc';

/**
 * Outcome entries carried on the agent's next `begin` (issue 19: the agent read at the bare Worker's cost).
 *
 * Every agent call used to cost its object two events: `begin` before the upstream call, and `finish` after
 * the answer. The second is one more RPC, one more SQLite transaction and commit, and it runs on the
 * agent's own object, so a caller that calls again at once waits behind it. Instead, a plain outcome is
 * *parked* in this isolate for `carryWindow.ms` (50). If the same agent's next call leaves from this isolate
 * within that time, its `begin` carries the outcome and the object appends it in the same step, before
 * anything else it does. Otherwise the parked outcome's own request (still running under `waitUntil`) sends
 * it with `finish`, as before. `finish` is idempotent, so an outcome that was carried by a `begin` whose
 * answer was lost, and then sent again, is appended once.
 *
 * Only outcomes nobody waits on are parked: not a hold given back (appended before the answer), not an
 * approved execution (its waiters), not a creation (object scope reads it). Parked outcomes are module state,
 * not promises: nothing here crosses from one request's context to another's.
 */

/**
 * How long a parked outcome waits for a `begin` to carry it before it is sent on its own. An object, not a
 * constant, so a test can widen it: whether a next call comes within 50 ms is the machine's business, and a
 * test of carrying must not depend on it.
 */
export const carryWindow = { ms: 50 };
/** At most this many outcomes ride on one `begin` (a burst that parked more sends the rest itself). */
const MAX_CARRIED = 16;

/**
 * `parked`: waiting in the queue; `carried`: on a `begin` that has not answered; `recorded`: that `begin`
 * answered; `sent`: its own request took it back to send with `finish`.
 */
type Parked = { request: FinishRequest; state: 'parked' | 'carried' | 'recorded' | 'sent' };

const parkedByAgent = new Map<string, Parked[]>();

/** True for an outcome nobody waits on (see above): the only kind that may be parked. */
export function mayPark(request: FinishRequest): boolean {
  return request.release === null && request.approval === undefined && (request.created ?? null) === null;
}

/**
 * Parks `request` for `agentId`; resolves after `carryWindow.ms` with true when a `begin` carried it
 * (recorded), false when it is still this caller's to send. Either way it is no longer parked.
 */
export async function park(agentId: string, request: FinishRequest): Promise<boolean> {
  const item: Parked = { request, state: 'parked' };
  const queue = parkedByAgent.get(agentId);
  if (queue) queue.push(item);
  else parkedByAgent.set(agentId, [item]);
  await new Promise<void>((resolve) => setTimeout(resolve, carryWindow.ms));
  if (item.state === 'recorded') return true;
  // A carried outcome whose `begin` has not answered yet is sent too: if that `begin` applied it, the
  // object ignores the second one.
  item.state = 'sent';
  unpark(agentId, item);
  return false;
}

/** A `begin`'s share of what is parked for its agent: taken now, settled by `settleCarried`. */
export interface Carried {
  agentId: string;
  items: Parked[];
}

/** Takes up to `MAX_CARRIED` parked outcomes of `agentId` for the `begin` about to leave. */
export function takeParked(agentId: string): Carried {
  const queue = parkedByAgent.get(agentId);
  if (!queue) return { agentId, items: [] };
  const items = queue.splice(0, MAX_CARRIED);
  if (queue.length === 0) parkedByAgent.delete(agentId);
  for (const item of items) item.state = 'carried';
  return { agentId, items };
}

/** What a `begin` carries on the wire. */
export function carriedRequests(carried: Carried): FinishRequest[] {
  return carried.items.map((item) => item.request);
}

/**
 * After the `begin`: `recorded` when it answered (the object appended them first), else they go back to
 * being parked, so their own requests send them.
 */
export function settleCarried(carried: Carried, recorded: boolean): void {
  if (carried.items.length === 0) return;
  const back = carried.items.filter((item) => item.state === 'carried');
  if (recorded) {
    for (const item of back) item.state = 'recorded';
    return;
  }
  for (const item of back) item.state = 'parked';
  const queue = parkedByAgent.get(carried.agentId) ?? [];
  parkedByAgent.set(carried.agentId, [...back, ...queue]);
}

function unpark(agentId: string, item: Parked): void {
  const queue = parkedByAgent.get(agentId);
  if (!queue) return;
  const at = queue.indexOf(item);
  if (at === -1) return;
  queue.splice(at, 1);
  if (queue.length === 0) parkedByAgent.delete(agentId);
}
