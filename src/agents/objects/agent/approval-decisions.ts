import type { ApprovalDecision, ApprovalStatus, ApprovalView } from '../../model/approval-view';
import { withObjectDeadline } from '../../model/deadlines';
import { APPROVAL_RETENTION_MS } from '../approval-index';
import { agentDirectory } from '../stubs';
import { expireIfDue, lifecycleEntry } from './approvals';
import type { ApprovalForDecision, DecideApproval, DecideResult } from './approvals-rpc';
import { approvalView, decisionsOf, indexRow } from './approvals-store';
import { type AgentStores, appendEntry } from './state';

/**
 * Approvals off the call path, inside the agent's object: reading them (the admin API, the agent's status
 * read), an approver's decision, and the alarm's part (expiries, pruning, the directory's index).
 */

type Agent = { id: string; name: string };

const DIRTY_BATCH = 100;
const PRUNE_BATCH = 200;

/** Expires every approval whose time is up (at most `limit`), appending their `approval_expired` entries. */
export function expireDue(stores: AgentStores, agent: Agent, nowMs: number, limit = 100): number {
  const due = stores.approvals.due(nowMs, limit);
  for (const row of due) expireIfDue(stores, row, agent, nowMs);
  return due.length;
}

/**
 * Revoking the agent ends its open approvals at once: pending ones are no longer for a person to decide,
 * and approved ones may no longer run (the key check refuses the re-send anyway; this keeps the Approvals
 * view and the chain saying so). Each expires with its `approval_expired` entry; one whose execution is in
 * flight is left to finish. How many ended.
 */
export function expireOnRevoke(stores: AgentStores, agent: Agent, nowMs: number): number {
  let ended = 0;
  for (const status of ['pending', 'approved'] as const)
    for (const row of stores.approvals.list(status, 1_000, 0).rows) {
      const due = stores.approvals.update(row.id, { expires_at: Math.min(row.expires_at, nowMs) });
      if (expireIfDue(stores, due, agent, nowMs).status === 'expired') ended++;
    }
  return ended;
}

/** One approval, current (expired first if its time is up), or null. */
export function readApproval(
  stores: AgentStores,
  agent: Agent,
  id: string,
  nowMs: number,
): ApprovalForDecision | null {
  const found = stores.approvals.byId(id);
  if (!found) return null;
  const row = expireIfDue(stores, found, agent, nowMs);
  return { approval: approvalView(row, agent.id, agent.name), requestHash: row.request_hash };
}

/** The agent's approvals, newest first (expired ones brought up to date first). */
export function listApprovals(
  stores: AgentStores,
  agent: Agent,
  filter: { status?: ApprovalStatus; ids?: string[] },
  limit: number,
  skip: number,
  nowMs: number,
): { total_count: number; data: ApprovalView[] } {
  expireDue(stores, agent, nowMs, 1_000);
  if (filter.ids) {
    const data = filter.ids
      .map((id) => stores.approvals.byId(id))
      .filter((r) => r !== null)
      .map((r) => approvalView(r, agent.id, agent.name));
    return { total_count: data.length, data };
  }
  const { total, rows } = stores.approvals.list(filter.status, limit, skip);
  return { total_count: total, data: rows.map((r) => approvalView(r, agent.id, agent.name)) };
}

/**
 * An approver's decision. A decline by anyone declines; an approval counts once per approver, and the
 * approval is `approved` once `approvers_required` different approvers have approved — then the agent has
 * the policy's window again (`ttl_ms` from now) to re-send. Each decision appends an entry naming who
 * decided, with which credential and how.
 */
export function decide(
  stores: AgentStores,
  agent: Agent,
  id: string,
  d: DecideApproval,
  nowMs: number,
): DecideResult {
  const found = stores.approvals.byId(id);
  if (!found) return { kind: 'not_found' };
  if (found.request_hash !== d.requestHash)
    return {
      kind: 'conflict',
      code: 'approval_changed',
      message: 'the approval is not the one the approver saw',
    };
  const row = expireIfDue(stores, found, agent, nowMs);
  if (row.status === 'expired')
    return { kind: 'conflict', code: 'approval_expired', message: 'the approval has expired' };
  if (row.status !== 'pending')
    return {
      kind: 'conflict',
      code: 'approval_not_pending',
      message: `the approval is already ${row.status}`,
    };
  const decisions = decisionsOf(row);
  if (decisions.some((x) => x.approver_id === d.approver.approver_id))
    return {
      kind: 'conflict',
      code: 'approver_already_decided',
      message: 'this approver has already decided on this approval: a second approver must be someone else',
    };
  const decision: ApprovalDecision = {
    approver_id: d.approver.approver_id,
    approver_name: d.approver.approver_name,
    decision: d.decision,
    reason: d.decision === 'decline' ? d.reason : null,
    at: new Date(nowMs).toISOString(),
    via: d.approver.via,
    credential_id: d.approver.credential_id,
  };
  const all = [...decisions, decision];
  const approvals = all.filter((x) => x.decision === 'approve').length;
  const status: ApprovalStatus =
    d.decision === 'decline' ? 'declined' : approvals >= row.approvers_required ? 'approved' : 'pending';
  const updated = stores.approvals.update(row.id, {
    decisions: JSON.stringify(all),
    status,
    ...(status === 'approved' ? { expires_at: nowMs + row.ttl_ms } : {}),
  });
  appendEntry(
    stores,
    lifecycleEntry(updated, agent, {
      decision: d.decision === 'approve' ? 'allowed' : 'denied',
      reason: d.decision === 'approve' ? 'approval_approved' : 'approval_declined',
      at_ms: nowMs,
      request_id: d.requestId,
      channel: row.channel === 'mcp' ? 'mcp' : 'rest',
      approver_id: d.approver.approver_id,
      approver_name: d.approver.approver_name,
      approver_credential_id: d.approver.credential_id,
      approver_via: d.approver.via,
      decline_reason: decision.reason,
    }),
  );
  return { kind: 'decided', approval: approvalView(updated, agent.id, agent.name) };
}

/** Sends the approvals the directory's index is behind on; `failed` lets the alarm retry. */
export async function syncApprovals(
  env: Env,
  stores: AgentStores,
  agentId: string,
): Promise<'done' | 'more' | 'failed'> {
  const rows = stores.approvals.dirty(DIRTY_BATCH);
  if (rows.length === 0) return 'done';
  try {
    await withObjectDeadline(
      agentDirectory(env).upsertApprovals(
        rows.map((r) => indexRow(r, agentId)),
        Date.now(),
      ),
      'the agent directory',
    );
  } catch {
    return 'failed';
  }
  stores.approvals.synced(rows);
  return rows.length === DIRTY_BATCH ? 'more' : 'done';
}

/** Deletes finished approvals past retention (the chain keeps their entries); how many went. */
export function pruneApprovals(stores: AgentStores, nowMs: number): number {
  return stores.approvals.prune(nowMs - APPROVAL_RETENTION_MS, PRUNE_BATCH);
}

/** When the alarm is next needed for approvals: an expiry, the index behind, or pruning. */
export function approvalsWake(
  stores: AgentStores,
  nowMs: number,
  synced: 'done' | 'more' | 'failed',
): number | null {
  const times: number[] = [];
  const due = stores.approvals.nextDue();
  if (due !== null) times.push(Math.max(due, nowMs));
  if (synced === 'failed') times.push(nowMs + 1_000);
  else if (synced === 'more' || stores.approvals.dirty(1).length > 0) times.push(nowMs);
  const oldest = stores.approvals.oldestFinished();
  if (oldest !== null) times.push(Math.max(nowMs + 60_000, oldest + APPROVAL_RETENTION_MS));
  return times.length ? Math.min(...times) : null;
}
