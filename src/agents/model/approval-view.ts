/**
 * An approval as the API shows it (docs/agents.md, "Approvals"). Statuses:
 * - `pending`: waiting for a person (or a second approver); the agent's re-send is answered 428 again;
 * - `approved`: the agent's identical re-send with the same key runs once;
 * - `executed`: it ran; a re-send replays the original answer without calling upstream again;
 * - `declined`, `expired`: a re-send is refused (403). Terminal, like `executed`.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'declined' | 'expired' | 'executed';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'declined',
  'expired',
  'executed',
];

/** Who approved or declined, how, and when. */
export interface ApprovalDecision {
  approver_id: string;
  approver_name: string;
  decision: 'approve' | 'decline';
  /** The decline's reason (required there), null for an approval. */
  reason: string | null;
  at: string;
  via: 'passkey' | 'dev_bearer';
  /** The passkey's credential id, null for the dev bearer approval. */
  credential_id: string | null;
}

/** The operators' view (`GET /admin/approvals*`, the notification): card data redacted, never the agent key. */
export interface ApprovalView {
  id: string;
  agent_id: string;
  agent_name: string;
  /** The catalog method (`refundPayment`). */
  method: string;
  http_method: string;
  /** The concrete path, as Checkout.com names it. */
  path: string;
  amount: number | null;
  currency: string | null;
  /** The body as sent, with card number, security code and expiry as `"[redacted]"`. */
  body_redacted: unknown;
  idempotency_key: string;
  channel: 'rest' | 'mcp';
  requested_at: string;
  /** Pending: the decision is due by then. Approved: the re-send is due by then. */
  expires_at: string;
  status: ApprovalStatus;
  approvers_required: 1 | 2;
  decisions: ApprovalDecision[];
  executed_at: string | null;
  /** The upstream status of the execution, once executed. */
  executed_status: number | null;
}

/** The agent's own view (`GET /agent/v1/approvals/{id}`, MCP `get_approval_status`): no body, no approvers. */
export interface AgentApprovalView {
  approval_id: string;
  status: ApprovalStatus;
  method: string;
  path: string;
  amount: number | null;
  currency: string | null;
  idempotency_key: string;
  requested_at: string;
  expires_at: string;
  approvers_required: 1 | 2;
  approvals: number;
  /** A decline's reason, as the approver wrote it; null otherwise. */
  decline_reason: string | null;
}

export function agentApprovalView(v: ApprovalView): AgentApprovalView {
  return {
    approval_id: v.id,
    status: v.status,
    method: v.method,
    path: v.path,
    amount: v.amount,
    currency: v.currency,
    idempotency_key: v.idempotency_key,
    requested_at: v.requested_at,
    expires_at: v.expires_at,
    approvers_required: v.approvers_required,
    approvals: v.decisions.filter((d) => d.decision === 'approve').length,
    decline_reason: v.decisions.find((d) => d.decision === 'decline')?.reason ?? null,
  };
}
