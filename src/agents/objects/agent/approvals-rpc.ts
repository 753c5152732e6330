import type { ApprovalStatus, ApprovalView } from '../../model/approval-view';
import type { EntryInput } from '../../model/audit-entry';
import type { AuthenticateResult, PlainResponse } from './rpc';

/**
 * What crosses the RPC boundary of `AgentObject` for approvals (plain data), shared by the Worker side
 * (gateway/, admin/) and the object (approvals.ts, approval-decisions.ts).
 */

/** What an agent is told about the approval its call waits for (the 428, and the 403s after). */
export interface ApprovalNotice {
  approval_id: string;
  status: ApprovalStatus;
  expires_at: string;
  /** The key to re-send the identical request with (the caller's, or the one Bollard generated). */
  idempotency_key: string;
}

/** `begin`'s answers about approvals (members of `BeginResult`). */
export type ApprovalBeginResult =
  /**
   * The call needs a person's approval (new, or still pending): 428, nothing sent. `created`: the view of an
   * approval this call made, for the notification the Worker sends when configured (null when it existed).
   * `urlElicitation`: the agent's MCP client declared URL-mode elicitation at its last `initialize`.
   */
  | {
      kind: 'approval_required';
      approval: ApprovalNotice;
      created: ApprovalView | null;
      urlElicitation: boolean;
      message: string;
    }
  /** Refused for its approval (403 mismatch, declined, expired; 409 in progress): recorded, nothing sent. */
  | {
      kind: 'approval_refused';
      reason: 'approval_mismatch' | 'approval_declined' | 'approval_expired' | 'approval_in_progress';
      message: string;
      approval: ApprovalNotice;
    }
  /** The approved call already ran: its original answer, replayed (recorded), nothing sent. */
  | { kind: 'replayed'; response: PlainResponse }
  /** The approved call is running for another request right now: wait for it with `awaitApproval`. */
  | { kind: 'approval_running'; approvalId: string };

/** A re-send that waits for the execution another request is running (`AgentObject.awaitApproval`). */
export interface AwaitApprovalRequest {
  approvalId: string;
  requestId: string;
  channel: EntryInput['channel'];
  atMs: number;
  method: string;
  /** The catalog entry's name. */
  entry: string;
  key: string;
  /** How long the Worker waits at most (its upstream deadline and a round trip). */
  waitMs: number;
}

export type AwaitApprovalResult = Extract<ApprovalBeginResult, { kind: 'replayed' | 'approval_refused' }>;

/** The end of an approved call's execution, sent with its `finish`. */
export interface ExecutionEnd {
  approvalId: string;
  /** The answer to keep and replay (2xx, or an upstream 4xx: it ran); null when it did not run or may not have. */
  response: PlainResponse | null;
}

/** Who decided, as the approver check proved it (`verifyApprover`, src/approvers): the same shape as its proof. */
export interface ApproverIdentity {
  approver_id: string;
  approver_name: string;
  credential_id: string | null;
  via: 'passkey' | 'dev_bearer';
}

/** An approver's decision on an approval (`AgentObject.decideApproval`). */
export interface DecideApproval {
  decision: 'approve' | 'decline';
  /** Required for a decline. */
  reason: string | null;
  approver: ApproverIdentity;
  /** The hash the approver's proof was bound to: must still be the approval's. */
  requestHash: string;
  /** The operator request's id, recorded in the entry. */
  requestId: string;
}

export type DecideResult =
  | { kind: 'decided'; approval: ApprovalView }
  | { kind: 'not_found' }
  | {
      kind: 'conflict';
      code: 'approval_not_pending' | 'approval_expired' | 'approver_already_decided' | 'approval_changed';
      message: string;
    };

/** What the admin routes read of one approval besides its view: the hash an approver's proof binds. */
export interface ApprovalForDecision {
  approval: ApprovalView;
  requestHash: string;
}

/** The agent's own status read (`AgentObject.approvalStatus`): the key's check, then its approval or null. */
export type ApprovalStatusResult = AuthenticateResult | { kind: 'approval'; approval: ApprovalView | null };
