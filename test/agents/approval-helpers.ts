import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import type { ApprovalPolicy } from '../../src/agents/model/approval-policy';
import type { AgentApprovalView, ApprovalView } from '../../src/agents/model/approval-view';
import type { Scopes } from '../../src/agents/model/scope';
import type { AgentLimits, Grants } from '../../src/agents/model/types';
import type {
  ApprovalForDecision,
  DecideApproval,
  DecideResult,
} from '../../src/agents/objects/agent/approvals-rpc';
import { ADMIN, admin, type CreatedAgent, call } from './helpers';

/** The dev setting that lets the admin token approve as approver `dev` (docs/agents.md, "Approvals"). */
export const DEV_APPROVALS = { APPROVALS_ALLOW_ADMIN_TOKEN: 'true' } as const;

/** The 428's body: the one error shape plus the approval's id, status, expiry and key. */
export interface ApprovalErrorJson {
  request_id: string;
  error_type: string;
  error_codes: string[];
  message: string;
  approval_id: string;
  approval_status: string;
  expires_at: string;
  idempotency_key: string;
}

export async function createApprovalAgent(
  grants: Grants,
  approval: ApprovalPolicy | null,
  limits?: AgentLimits,
  scope?: Scopes,
): Promise<CreatedAgent> {
  const res = await admin('/admin/agents', {
    method: 'POST',
    json: {
      name: 'approvals agent',
      grants,
      approval,
      ...(limits ? { limits } : {}),
      ...(scope ? { scope } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`create agent: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedAgent;
}

/** `POST /admin/approvals/{id}/approve|decline` with the admin token (and, by default, the dev setting on). */
export function decideAs(
  id: string,
  decision: 'approve' | 'decline',
  body: Record<string, unknown> = { approver_id: 'dev' },
  overrides: Record<string, string> = DEV_APPROVALS,
): Promise<Response> {
  return call(
    `/admin/approvals/${id}/${decision}`,
    {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    overrides,
  );
}

export async function approvalView(id: string): Promise<ApprovalView> {
  const res = await admin(`/admin/approvals/${id}`);
  if (res.status !== 200) throw new Error(`approval: ${res.status} ${await res.text()}`);
  return (await res.json()) as ApprovalView;
}

/** The approval once it shows `status` (an execution's end is recorded after the answer), bounded. */
export async function approvalSettled(id: string, status: ApprovalView['status']): Promise<ApprovalView> {
  return vi.waitFor(
    async () => {
      const view = await approvalView(id);
      expect(view.status).toBe(status);
      return view;
    },
    // Seconds, not milliseconds: a loaded machine runs the after-answer work late.
    { timeout: 15_000, interval: 25 },
  );
}

/** The agent's own status read. */
export async function agentStatusRead(key: string | null, id: string): Promise<Response> {
  return call(
    `/agent/v1/approvals/${id}`,
    key === null ? {} : { headers: { authorization: `Bearer ${key}` } },
  );
}

export async function agentStatus(key: string, id: string): Promise<AgentApprovalView> {
  return (await (await agentStatusRead(key, id)).json()) as AgentApprovalView;
}

/** The approval as its agent's object sees it at `nowMs` (an injected clock: expiries are applied then). */
export async function approvalAt(
  agentId: string,
  id: string,
  nowMs: number,
): Promise<ApprovalForDecision | null> {
  return (await env.AGENT.getByName(agentId).getApproval(id, nowMs)) as ApprovalForDecision | null;
}

/** A decision made straight on the agent's object, as the admin route does after proving the approver. */
export async function decideOnObject(agentId: string, id: string, d: DecideApproval): Promise<DecideResult> {
  return (await env.AGENT.getByName(agentId).decideApproval(id, d)) as DecideResult;
}
