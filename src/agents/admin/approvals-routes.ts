import type { Context, Hono } from 'hono';
import * as z from 'zod';
import { approvalChallenge } from '../../approvers/challenge';
import { verifyApprover } from '../../approvers/verify';
import { type AppEnv, BollardError, readJsonBody, redactString } from '../../http';
import { agentOfApproval } from '../model/approval-request';
import { APPROVAL_STATUSES, type ApprovalView } from '../model/approval-view';
import { withObjectDeadline } from '../model/deadlines';
import { isAgentId } from '../model/keys';
import { enumParam, paging } from '../model/query-params';
import type { ApprovalForDecision, DecideResult } from '../objects/agent/approvals-rpc';
import { agentDirectory, agentObject } from '../objects/stubs';

/**
 * The operators' approvals API (docs/agents.md, "Approvals"), mounted by the operator module behind admin
 * auth: the list across agents (the directory's index, then the page's views from their agents' objects),
 * one approval, and the decisions — each proved by `verifyApprover` (src/approvers: a passkey, or the dev
 * bearer mode) and bound to the approval's request hash.
 */

const approveSchema = z.strictObject({
  approver_id: z.string().trim().min(1).max(100),
  assertion: z.unknown().optional(),
});
const declineSchema = approveSchema.extend({ reason: z.string().trim().min(1).max(500) });

type ApprovalPage = { total_count: number; data: ApprovalView[] };

function notFound(): BollardError {
  return new BollardError('not_found', { codes: ['approval_not_found'], message: 'no approval has this id' });
}

/** One 422 naming the bad fields (`reason_invalid`), never quoting the caller's values. */
function invalid(error: z.ZodError): BollardError {
  const fields = error.issues.map((i) => (i.path.length ? String(i.path[0]) : 'body'));
  const known = fields.map((f) => (['approver_id', 'assertion', 'reason'].includes(f) ? f : 'body'));
  return new BollardError('request_invalid', {
    codes: [...new Set(known.map((f) => `${f}_invalid`))],
    message: error.issues
      .map((i, n) => (i.code === 'unrecognized_keys' ? 'body: unknown fields' : `${known[n]}: ${i.message}`))
      .join('; '),
  });
}

/** The approval the path names, read from its agent's object (the id names the agent). */
async function approvalFromPath(
  c: Context<AppEnv>,
): Promise<{ id: string; agentId: string; found: ApprovalForDecision }> {
  const id = c.req.param('id') ?? '';
  const agentId = agentOfApproval(id);
  if (agentId === null) throw notFound();
  const found = await withObjectDeadline(
    agentObject(c.env, agentId).getApproval(id, Date.now()),
    'the agent',
  );
  if (!found) throw notFound();
  return { id, agentId, found };
}

/** A decision, or a challenge for one, needs a pending approval: 409 otherwise. */
function mustBePending(found: ApprovalForDecision): void {
  if (found.approval.status === 'pending') return;
  throw new BollardError('conflict', {
    codes: [found.approval.status === 'expired' ? 'approval_expired' : 'approval_not_pending'],
    message: `the approval is ${found.approval.status}`,
  });
}

function conflict(result: Extract<DecideResult, { kind: 'conflict' }>): BollardError {
  return new BollardError('conflict', { codes: [result.code], message: result.message });
}

/** A page of views across agents: ids from the directory's index, views from each agent's object at once. */
async function listAcrossAgents(
  env: Env,
  status: ApprovalView['status'] | undefined,
  limit: number,
  skip: number,
): Promise<ApprovalPage> {
  const page = await withObjectDeadline(
    agentDirectory(env).listApprovals(status === undefined ? {} : { status }, limit, skip),
    'the agent directory',
  );
  const byAgent = new Map<string, string[]>();
  for (const r of page.rows) byAgent.set(r.agent_id, [...(byAgent.get(r.agent_id) ?? []), r.id]);
  const views = new Map<string, ApprovalView>();
  await Promise.all(
    [...byAgent].map(async ([agentId, ids]) => {
      const found = await withObjectDeadline<ApprovalPage>(
        agentObject(env, agentId).listApprovals({ ids }, ids.length, 0, Date.now()),
        'an agent',
      );
      for (const v of found.data) views.set(v.id, v);
    }),
  );
  return {
    total_count: page.total_count,
    data: page.rows.map((r) => views.get(r.id)).filter((v) => v !== undefined),
  };
}

export function mountApprovalAdmin(app: Hono<AppEnv>): void {
  app.get('/admin/approvals', async (c) => {
    const url = new URL(c.req.url);
    const { limit, skip } = paging(url, 50, 100);
    const status = enumParam(url, 'status', APPROVAL_STATUSES);
    const agent = url.searchParams.get('agent') ?? url.searchParams.get('agent_id');
    if (agent) {
      if (!isAgentId(agent)) return c.json({ total_count: 0, limit, skip, data: [] });
      // One agent: its own object, complete (no index lag).
      const page = await withObjectDeadline<ApprovalPage>(
        agentObject(c.env, agent).listApprovals(
          status === undefined ? {} : { status },
          limit,
          skip,
          Date.now(),
        ),
        'the agent',
      );
      return c.json({ ...page, limit, skip });
    }
    return c.json({ ...(await listAcrossAgents(c.env, status, limit, skip)), limit, skip });
  });

  app.get('/admin/approvals/:id', async (c) => c.json((await approvalFromPath(c)).found.approval));

  const decideRoute = (decision: 'approve' | 'decline') => async (c: Context<AppEnv>) => {
    const body = await readJsonBody(c);
    const parsed = (decision === 'approve' ? approveSchema : declineSchema).safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const { id, agentId, found } = await approvalFromPath(c);
    mustBePending(found);
    const claim = parsed.data;
    const approver = await verifyApprover(c, id, found.requestHash, {
      approver_id: claim.approver_id,
      ...(claim.assertion !== undefined ? { assertion: claim.assertion } : {}),
    });
    const result = await withObjectDeadline<DecideResult>(
      agentObject(c.env, agentId).decideApproval(
        id,
        {
          decision,
          // Shown to the agent and kept in the chain: anything card- or secret-shaped in it is masked.
          reason: 'reason' in claim && typeof claim.reason === 'string' ? redactString(claim.reason) : null,
          approver,
          requestHash: found.requestHash,
          requestId: c.get('requestId'),
        },
        Date.now(),
      ),
      'the agent',
    );
    if (result.kind === 'not_found') throw notFound();
    if (result.kind === 'conflict') throw conflict(result);
    return c.json(result.approval);
  };
  // The passkey ceremony's first half: request options whose challenge is bound to this approval's id and
  // the hash of the request it covers, so the assertion that comes back can approve nothing else.
  app.post('/admin/approvals/:id/challenge', async (c) => {
    const body = await readJsonBody(c);
    const { id, found } = await approvalFromPath(c);
    mustBePending(found);
    return c.json(await approvalChallenge(c, id, found.requestHash, body));
  });
  app.post('/admin/approvals/:id/approve', decideRoute('approve'));
  app.post('/admin/approvals/:id/decline', decideRoute('decline'));
}
