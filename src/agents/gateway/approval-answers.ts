import type { CatalogEntry } from '../../catalog';
import type { UpstreamResponse } from '../../checkout/contract';
import { upstreamTiming } from '../../checkout/from-env';
import { OBJECT_DEADLINE_MS, withObjectDeadline } from '../model/deadlines';
import type {
  ApprovalBeginResult,
  ApprovalNotice,
  AwaitApprovalResult,
} from '../objects/agent/approvals-rpc';
import { type PlainResponse, plainResponse, upstreamResponse } from '../objects/agent/rpc';
import { agentObject } from '../objects/stubs';
import { notifyApproval } from './approval-notify';
import { type CallContext, type CallOutcome, errorBody, type OutcomeApproval, objectFailed } from './call';

/**
 * The Worker's side of approvals (docs/agents.md, "Approvals"): how `begin`'s approval answers become the
 * agent's answer, the wait of a re-send for an execution in flight, and what an execution's `finish` keeps.
 */

/** Upstream headers a replay keeps (those `/agent/v1` passes on), besides the status and the body. */
const KEPT_HEADERS = new Set(['content-type', 'location', 'cko-version']);

/** The console's page for an approval. */
export function consoleUrl(ctx: CallContext, approvalId: string): string {
  return `${ctx.origin}/admin#/approvals/${approvalId}`;
}

function outcomeApproval(ctx: CallContext, a: ApprovalNotice, urlElicitation: boolean): OutcomeApproval {
  return { ...a, console_url: consoleUrl(ctx, a.approval_id), urlElicitation };
}

/** The error body, in the one shape, with the approval's id, expiry and key beside it. */
function approvalError(ctx: CallContext, type: string, code: string, message: string, a: ApprovalNotice) {
  return {
    ...errorBody(ctx.requestId, type, [code], message),
    approval_id: a.approval_id,
    approval_status: a.status,
    expires_at: a.expires_at,
    idempotency_key: a.idempotency_key,
  };
}

/**
 * `approval_required` → 428 Precondition Required (RFC 6585: the origin requires the request to be
 * conditional; here, on a person's approval, which the agent meets by re-sending with the key): never a
 * 2xx, and not a 403, because the same request can still succeed. `approval_refused` → 403 (mismatch,
 * declined, expired: this request will not run) or 409 (in progress). A new approval is notified after
 * the answer. `replayed` → the original answer.
 */
export async function approvalAnswer(
  ctx: CallContext,
  begun: Exclude<ApprovalBeginResult, { kind: 'approval_running' }>,
): Promise<CallOutcome> {
  switch (begun.kind) {
    case 'replayed':
      return { kind: 'answered', response: upstreamResponse(begun.response) };
    case 'approval_required': {
      const { created } = begun;
      if (created && ctx.env.APPROVAL_NOTIFY_URL)
        await ctx.after('approval notification', () =>
          notifyApproval(ctx.env, ctx.log, {
            type: 'approval.requested',
            approval: created,
            console_url: consoleUrl(ctx, created.id),
          }),
        );
      return {
        kind: 'refused',
        status: 428,
        reason: 'approval_requested',
        error: approvalError(ctx, 'approval_required', 'approval_required', begun.message, begun.approval),
        approval: outcomeApproval(ctx, begun.approval, begun.urlElicitation),
        idempotencyKey: begun.approval.idempotency_key,
        upstreamRequestId: null,
      };
    }
    case 'approval_refused': {
      const inProgress = begun.reason === 'approval_in_progress';
      return {
        kind: 'refused',
        status: inProgress ? 409 : 403,
        reason: begun.reason,
        error: approvalError(
          ctx,
          inProgress ? 'conflict' : 'permission_denied',
          begun.reason,
          begun.message,
          begun.approval,
        ),
        ...(inProgress ? { headers: { 'retry-after': '1' } } : {}),
        approval: outcomeApproval(ctx, begun.approval, false),
        idempotencyKey: begun.approval.idempotency_key,
        upstreamRequestId: null,
      };
    }
  }
}

/**
 * A re-send that found the approved call running for another request: one more round trip, which waits
 * (inside the agent's object) for that execution to end and replays its answer. Bounded by this Worker's
 * upstream deadline; past it, or on a failure, nothing was sent by this request: 409 or 503.
 */
export async function awaitRunning(
  ctx: CallContext,
  agentId: string,
  entry: CatalogEntry,
  approvalId: string,
  key: string,
): Promise<CallOutcome> {
  const waitMs = upstreamTiming(ctx.env, 'agents').deadlineMs + OBJECT_DEADLINE_MS;
  let result: AwaitApprovalResult;
  try {
    result = await withObjectDeadline(
      agentObject(ctx.env, agentId).awaitApproval({
        approvalId,
        requestId: ctx.requestId,
        channel: ctx.channel,
        atMs: ctx.startedMs,
        method: entry.method,
        entry: entry.name,
        key,
        waitMs,
      }),
      "the agent's state",
      waitMs + OBJECT_DEADLINE_MS,
    );
  } catch (err) {
    return objectFailed(ctx, err, key);
  }
  return approvalAnswer(ctx, result);
}

/**
 * What an approved call's execution keeps for replays: an answer means it ran (a 2xx, or an upstream 4xx
 * that upstream would replay too); an upstream 5xx or 401 (Bollard's credential) means it did not, and the
 * approval stays approved for a retry. The caller's own key, and only the headers a replay passes on.
 */
export function executionAnswer(response: UpstreamResponse, key: string | null): PlainResponse | null {
  if (response.status >= 500 || response.status === 401) return null;
  const plain = plainResponse({ ...response, idempotencyKey: key });
  return { ...plain, headers: plain.headers.filter(([name]) => KEPT_HEADERS.has(name.toLowerCase())) };
}
