import { type CatalogEntry, entryByName, fillPath } from '../../../catalog';
import { upstreamTiming } from '../../../checkout/from-env';
import { approvalNeed, approvalTtlMs } from '../../model/approval-policy';
import { newApprovalId, redactApprovalBody, requestHash } from '../../model/approval-request';
import type { ApprovalStatus } from '../../model/approval-view';
import type { EntryInput } from '../../model/audit-entry';
import { OBJECT_DEADLINE_MS } from '../../model/deadlines';
import type { DecisionReason } from '../../model/types';
import type {
  ApprovalBeginResult,
  ApprovalNotice,
  AwaitApprovalRequest,
  AwaitApprovalResult,
} from './approvals-rpc';
import { type ApprovalRow, approvalView, storedResponse } from './approvals-store';
import type { AuthenticatedAgent } from './profile';
import type { BeginRequest, FinishRequest } from './rpc';
import { type AgentStores, appendEntry, chainState } from './state';

/**
 * Approvals on the call path, inside the agent's object (docs/agents.md, "Approvals"): the gate `begin`
 * runs after the grant and the money lookup and before the reservation, and what ends an execution. All
 * synchronous SQL, in the same step as the rest of `begin`: no new round trip, and two concurrent re-sends
 * of an approved call cannot both start it.
 */

/** Upstream keeps a key's answer this long: a retry of an execution that may have acted works until then. */
export const KEY_LIFETIME_MS = 24 * 3_600_000;

/** The fields of this request's `call` entry (`begin`'s `base()`), for the entries the gate appends. */
export type CallBase = Omit<
  EntryInput,
  'decision' | 'reason' | 'upstream_status' | 'upstream_request_id' | 'idempotency_key'
>;

export interface GateCall {
  request: BeginRequest;
  agent: AuthenticatedAgent;
  entry: CatalogEntry;
  amount: number | null;
  currency: string | null;
  base: CallBase;
  nowMs: number;
  /**
   * Would the call fit its limits and budgets as they stand (per call, day, rolling windows, lifetime,
   * velocity)? Asked only when the policy covers the call; nothing is held (begin.ts).
   */
  fits(): boolean;
}

/** Go on (executing `approvalId`, or no approval at all), or answer with `result`. */
export type GateResult =
  | { kind: 'proceed'; approvalId: string | null }
  | { kind: 'answer'; result: ApprovalBeginResult };

const ISO = (ms: number) => new Date(ms).toISOString();

/** How long an execution in flight is waited for before it is taken as lost (its Worker stopped). */
export function executionStaleMs(env: Env): number {
  return upstreamTiming(env, 'agents').deadlineMs + 2 * OBJECT_DEADLINE_MS;
}

export function notice(row: ApprovalRow): ApprovalNotice {
  return {
    approval_id: row.id,
    status: row.status as ApprovalStatus,
    expires_at: ISO(row.expires_at),
    idempotency_key: row.idem_key,
  };
}

/** An `approval` entry about `row` (requested, approved, declined, executed, expired). */
export function lifecycleEntry(
  row: ApprovalRow,
  agent: { id: string; name: string },
  fields: Pick<EntryInput, 'decision' | 'reason' | 'at_ms' | 'request_id' | 'channel'> & Partial<EntryInput>,
): EntryInput {
  const entry = entryByName(row.entry);
  return {
    kind: 'approval',
    call_seq: null,
    agent_id: agent.id,
    agent_name: agent.name,
    method: row.http_method,
    path_template: entry?.path ?? null,
    entry: row.entry,
    area: entry?.area ?? null,
    access: entry?.access ?? null,
    latency_ms: 0,
    upstream_status: null,
    upstream_request_id: null,
    idempotency_key: row.idem_key,
    amount: row.amount,
    currency: row.currency,
    approval_id: row.id,
    request_hash: row.request_hash,
    approver_id: null,
    approver_name: null,
    approver_credential_id: null,
    approver_via: null,
    decline_reason: null,
    ...fields,
  };
}

/**
 * Expires `row` if its time is up and no execution is in flight: status `expired` and an `approval_expired`
 * entry. Returns the row as it now is.
 */
export function expireIfDue(
  stores: AgentStores,
  row: ApprovalRow,
  agent: { id: string; name: string },
  nowMs: number,
): ApprovalRow {
  if ((row.status !== 'pending' && row.status !== 'approved') || row.expires_at > nowMs) return row;
  if (row.exec_seq !== null && stores.calls.pending(chainState(stores.sql).chain, row.exec_seq)) return row;
  const expired = stores.approvals.update(row.id, { status: 'expired', exec_seq: null, exec_at: null });
  appendEntry(
    stores,
    lifecycleEntry(expired, agent, {
      decision: 'denied',
      reason: 'approval_expired',
      at_ms: nowMs,
      request_id: row.request_id,
      channel: row.channel === 'mcp' ? 'mcp' : 'rest',
    }),
  );
  return expired;
}

/** An execution of `row` is in flight for another request, and not so old that its Worker must be gone. */
function running(stores: AgentStores, env: Env, row: ApprovalRow, nowMs: number): boolean {
  return (
    row.exec_seq !== null &&
    stores.calls.pending(chainState(stores.sql).chain, row.exec_seq) &&
    nowMs - (row.exec_at ?? 0) < executionStaleMs(env)
  );
}

const REFUSALS: Record<'approval_mismatch' | 'approval_declined' | 'approval_expired', string> = {
  approval_mismatch:
    'this is not the request the approval under this idempotency key covers (an approval binds the method, path, body and key): send the approved request unchanged, or use a new key for a new request',
  approval_declined: 'the approval for this request was declined',
  approval_expired: 'the approval for this request expired: send it with a new idempotency key to ask again',
};

/** What the first half of the gate needs: the call, before its amount is looked up. */
export type KeyedCall = Omit<GateCall, 'amount' | 'currency' | 'fits'>;

/**
 * The first half of `begin`'s approval gate, before any money lookup (so a replay costs no upstream call at
 * all): a call under a key that already has an approval is answered by it — 428 again while pending; 403
 * for another request under the key (`approval_mismatch`), a decline or an expiry; the original answer once
 * executed; `proceed` once approved (unless another request is running it). Null: the key has no approval.
 * Every answer appends exactly one entry for the call.
 */
export function existingApproval(stores: AgentStores, env: Env, call: KeyedCall): GateResult | null {
  const { request, agent, entry, base, nowMs } = call;
  const given = request.givenKey;
  const existing = given === null ? null : stores.approvals.byKey(given);
  if (!existing || given === null) return null;
  const refuse = (reason: DecisionReason): void => {
    appendEntry(stores, {
      ...base,
      decision: 'denied',
      reason,
      upstream_status: null,
      upstream_request_id: null,
      idempotency_key: given,
    });
  };
  const hash = requestHash({
    agentId: agent.id,
    method: entry.method,
    path: fillPath(entry.path, request.params),
    body: request.body,
    idempotencyKey: existing.idem_key,
  });
  if (hash !== existing.request_hash) {
    refuse('approval_mismatch');
    return refused('approval_mismatch', existing);
  }
  const row = expireIfDue(stores, existing, agent, nowMs);
  switch (row.status as ApprovalStatus) {
    case 'pending':
      refuse('approval_pending');
      return required(stores, row, request.channel, null);
    case 'declined':
    case 'expired': {
      const reason = row.status === 'declined' ? 'approval_declined' : 'approval_expired';
      refuse(reason);
      return refused(reason, row);
    }
    case 'executed': {
      const response = storedResponse(row);
      // Set together with the status (executionEnded): an executed approval always has its answer.
      if (response === null) throw new Error('an executed approval without its answer');
      appendEntry(stores, {
        ...base,
        amount: row.amount,
        currency: row.currency,
        decision: 'allowed',
        reason: 'approval_replayed',
        upstream_status: response.status,
        upstream_request_id: response.requestId,
        idempotency_key: given,
      });
      return { kind: 'answer', result: { kind: 'replayed', response } };
    }
    case 'approved':
      if (running(stores, env, row, nowMs))
        return { kind: 'answer', result: { kind: 'approval_running', approvalId: row.id } };
      return { kind: 'proceed', approvalId: row.id };
  }
}

/**
 * The second half, once the amount is known and before anything is reserved: a call the policy covers
 * gets a new pending approval (its `approval_requested` entry is the call's one entry) and is answered
 * 428; anything else proceeds. A call its limits or budgets refuse as they stand (`fits`) is left to the
 * reservation, which refuses it with the limit's reason: no person is asked to approve what would be
 * refused (docs/agents.md, "Budgets and approvals").
 */
export function newApproval(stores: AgentStores, call: GateCall): GateResult {
  const { request, agent, entry, base, nowMs } = call;
  const money = { amount: call.amount, currency: call.currency };
  const need = approvalNeed(agent.approval, entry, money);
  if (!need) return { kind: 'proceed', approvalId: null };
  if (!call.fits()) return { kind: 'proceed', approvalId: null };

  const key = request.givenKey ?? request.key ?? crypto.randomUUID();
  const path = fillPath(entry.path, request.params);
  const ttlMs = approvalTtlMs(agent.approval);
  const row = stores.approvals.insert({
    id: newApprovalId(agent.id),
    idem_key: key,
    request_hash: requestHash({
      agentId: agent.id,
      method: entry.method,
      path,
      body: request.body,
      idempotencyKey: key,
    }),
    entry: entry.name,
    http_method: entry.method,
    path,
    body: JSON.stringify(redactApprovalBody(request.body)),
    amount: money.amount,
    currency: money.currency,
    channel: request.channel,
    request_id: request.requestId,
    requested_at: nowMs,
    ttl_ms: ttlMs,
    expires_at: nowMs + ttlMs,
    approvers_required: need.approvers,
  });
  appendEntry(stores, {
    ...lifecycleEntry(row, agent, {
      decision: 'denied',
      reason: 'approval_requested',
      at_ms: base.at_ms,
      request_id: request.requestId,
      channel: request.channel,
    }),
    latency_ms: base.latency_ms,
  });
  return required(stores, row, request.channel, approvalView(row, agent.id, agent.name), need.why);
}

function required(
  stores: AgentStores,
  row: ApprovalRow,
  channel: EntryInput['channel'],
  created: ReturnType<typeof approvalView> | null,
  why?: string,
): GateResult {
  const approvers = row.approvers_required === 2 ? 'two different approvers' : 'a person';
  // Each surface names its own way to re-send and to read the status.
  const then =
    channel === 'mcp'
      ? `call ${row.entry} again with the same arguments and idempotency_key "${row.idem_key}" before ${ISO(row.expires_at)}; get_approval_status with approval_id "${row.id}" tells its status`
      : `re-send the identical request with Cko-Idempotency-Key ${row.idem_key} before ${ISO(row.expires_at)}; GET /agent/v1/approvals/${row.id} tells its status`;
  return {
    kind: 'answer',
    result: {
      kind: 'approval_required',
      approval: notice(row),
      created,
      urlElicitation: stores.approvals.urlElicitation(),
      message: `${row.entry} needs approval by ${approvers} before it is sent${why ? ` (${why})` : ''}; nothing was sent. Once approved, ${then}`,
    },
  };
}

function refused(reason: keyof typeof REFUSALS, row: ApprovalRow): GateResult {
  return {
    kind: 'answer',
    result: {
      kind: 'approval_refused',
      reason,
      message: `${REFUSALS[reason]} (${row.id})`,
      approval: notice(row),
    },
  };
}

/** After `begin` appended the start of an approved call: that start is its execution in flight. */
export function executionStarted(stores: AgentStores, approvalId: string, seq: number, nowMs: number): void {
  stores.approvals.setExecution(approvalId, seq, nowMs);
}

/**
 * Ends an execution with its `finish`: an answer (it ran) makes the approval `executed`, keeps the answer
 * for replays and appends `approval_executed`; no answer leaves it approved for a retry with the key — after
 * an unknown outcome until the upstream key lapses (24 h). True when the approval changed.
 */
export function executionEnded(
  stores: AgentStores,
  agent: { id: string; name: string },
  request: FinishRequest,
): boolean {
  const end = request.approval;
  if (!end) return false;
  const row = stores.approvals.byId(end.approvalId);
  if (!row || row.exec_seq !== request.seq) return false;
  if (end.response === null) {
    stores.approvals.setExecution(row.id, null, null);
    if (request.reason === 'outcome_unknown' && row.first_sent_at === null)
      stores.approvals.update(row.id, {
        first_sent_at: request.atMs,
        expires_at: request.atMs + KEY_LIFETIME_MS,
      });
    return true;
  }
  const start = stores.chain.get(request.seq);
  const executed = stores.approvals.update(row.id, {
    status: 'executed',
    response: JSON.stringify(end.response),
    executed_at: request.atMs,
    exec_seq: null,
    exec_at: null,
  });
  appendEntry(
    stores,
    lifecycleEntry(executed, agent, {
      decision: 'allowed',
      reason: 'approval_executed',
      call_seq: request.seq,
      at_ms: request.atMs,
      request_id: start?.request_id ?? row.request_id,
      channel: start?.channel ?? 'rest',
      upstream_status: end.response.status,
      upstream_request_id: end.response.requestId,
      latency_ms: request.latencyMs,
    }),
  );
  return true;
}

/**
 * Clears executions whose start is no longer pending without a `finish` that said how they ended (the
 * Worker lost `begin`'s answer and abandoned, or the sweep gave up on the outcome). `maySent`: the start
 * may have been sent (the sweep): retries with the key stay allowed until the upstream key lapses.
 */
export function clearLostExecutions(stores: AgentStores, nowMs: number, maySent: boolean): void {
  const chain = chainState(stores.sql).chain;
  for (const row of stores.approvals.executing()) {
    if (row.exec_seq === null || stores.calls.pending(chain, row.exec_seq)) continue;
    stores.approvals.setExecution(row.id, null, null);
    if (maySent && row.first_sent_at === null)
      stores.approvals.update(row.id, {
        first_sent_at: row.exec_at ?? nowMs,
        expires_at: (row.exec_at ?? nowMs) + KEY_LIFETIME_MS,
      });
  }
}

/** In-memory waiters for executions in flight (`awaitApproval`), woken when an execution ends. */
export class ExecutionWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();

  /** Resolves when `approvalId`'s execution ends or after `ms`, whichever is first. */
  wait(approvalId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#waiting.get(approvalId) ?? new Set<() => void>();
      this.#waiting.set(approvalId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiting.delete(approvalId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
    });
  }

  wake(approvalId: string): void {
    for (const done of [...(this.#waiting.get(approvalId) ?? [])]) done();
  }

  wakeAll(): void {
    for (const id of [...this.#waiting.keys()]) this.wake(id);
  }
}

/**
 * A re-send that found the approved call running for another request waits for that execution to end
 * (bounded by `executionStaleMs`): then the original answer is replayed (`approval_replayed`); if it ended
 * without one, or did not end in time, the answer is `approval_in_progress` (409, retry with the key).
 * Appends this call's one entry.
 */
export async function awaitExecution(
  stores: AgentStores,
  env: Env,
  waiters: ExecutionWaiters,
  agent: { id: string; name: string },
  r: AwaitApprovalRequest,
): Promise<AwaitApprovalResult> {
  const deadline = Date.now() + Math.min(r.waitMs, executionStaleMs(env));
  let row = stores.approvals.byId(r.approvalId);
  while (row && running(stores, env, row, Date.now()) && Date.now() < deadline) {
    await waiters.wait(r.approvalId, Math.min(1_000, deadline - Date.now()));
    row = stores.approvals.byId(r.approvalId);
  }
  const entry = entryByName(r.entry);
  const base: CallBase = {
    kind: 'call',
    call_seq: null,
    at_ms: r.atMs,
    agent_id: agent.id,
    agent_name: agent.name,
    channel: r.channel,
    method: r.method,
    path_template: entry?.path ?? null,
    entry: entry?.name ?? null,
    area: entry?.area ?? null,
    access: entry?.access ?? null,
    latency_ms: Math.max(0, Date.now() - r.atMs),
    request_id: r.requestId,
    amount: row?.amount ?? null,
    currency: row?.currency ?? null,
  };
  const response = row && row.status === 'executed' ? storedResponse(row) : null;
  if (row && response) {
    appendEntry(stores, {
      ...base,
      decision: 'allowed',
      reason: 'approval_replayed',
      upstream_status: response.status,
      upstream_request_id: response.requestId,
      idempotency_key: r.key,
    });
    return { kind: 'replayed', response };
  }
  appendEntry(stores, {
    ...base,
    decision: 'denied',
    reason: 'approval_in_progress',
    upstream_status: null,
    upstream_request_id: null,
    idempotency_key: r.key,
  });
  return {
    kind: 'approval_refused',
    reason: 'approval_in_progress',
    message: `the approved call was being sent for another request with this key and has not finished: retry with idempotency key ${r.key} to get its answer (it never runs twice)`,
    approval: row
      ? notice(row)
      : {
          approval_id: r.approvalId,
          status: 'approved',
          expires_at: ISO(Date.now()),
          idempotency_key: r.key,
        },
  };
}
