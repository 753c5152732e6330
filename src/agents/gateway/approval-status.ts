import type { Hono } from 'hono';
import type { AppEnv } from '../../http';
import { agentOfApproval } from '../model/approval-request';
import { type AgentApprovalView, agentApprovalView } from '../model/approval-view';
import { withObjectDeadline } from '../model/deadlines';
import { hashAgentKey, type PresentedKey, presentedKey } from '../model/keys';
import type { ApprovalStatusResult } from '../objects/agent/approvals-rpc';
import { agentObject } from '../objects/stubs';
import { recordAnonymous } from './audit-writes';
import { type CallContext, errorBody, errorResponse } from './call';
import { callContext, GATEWAY_PREFIX } from './routes';

/**
 * The agent's own read of an approval's status: `GET /agent/v1/approvals/{id}` and the MCP tool
 * `get_approval_status`. One round trip to the key's own agent object, which checks the key (a bad one is
 * counted like any other) and answers only for its own approvals: any other id is a 404, the same as one
 * that does not exist. Not a catalog call, so not an audit entry (like MCP's `tools/list`).
 */

export type ApprovalStatusRead =
  | { kind: 'unauthenticated'; reason: 'agent_key_missing' | 'agent_key_invalid' | 'agent_key_expired' }
  | { kind: 'found'; approval: AgentApprovalView }
  | { kind: 'not_found' };

export async function readApprovalStatus(
  ctx: CallContext,
  presented: PresentedKey,
  approvalId: string,
): Promise<ApprovalStatusRead> {
  if (presented.kind !== 'key') {
    const reason = presented.kind === 'missing' ? 'agent_key_missing' : 'agent_key_invalid';
    await recordAnonymous(ctx, { method: 'GET', reason });
    return { kind: 'unauthenticated', reason };
  }
  // Only the key's own agent is asked; another agent's approval id is looked up nowhere.
  const own = agentOfApproval(approvalId) === presented.agentId;
  const result = await withObjectDeadline<ApprovalStatusResult>(
    agentObject(ctx.env, presented.agentId).approvalStatus(
      await hashAgentKey(presented.key),
      {
        requestId: ctx.requestId,
        channel: ctx.channel,
        atMs: ctx.startedMs,
        method: 'GET',
        source: ctx.source,
      },
      own ? approvalId : '',
    ),
    "the agent's state",
  );
  switch (result.kind) {
    case 'unknown_agent':
      await recordAnonymous(ctx, { method: 'GET', reason: 'agent_key_invalid' });
      return { kind: 'unauthenticated', reason: 'agent_key_invalid' };
    case 'unauthenticated':
      return { kind: 'unauthenticated', reason: result.reason };
    case 'ok':
      return { kind: 'not_found' };
    case 'approval':
      return result.approval
        ? { kind: 'found', approval: agentApprovalView(result.approval) }
        : { kind: 'not_found' };
  }
}

const KEY_MESSAGES = {
  agent_key_missing: 'an agent key is required (Authorization: Bearer <agent key>)',
  agent_key_invalid: 'the agent key is not valid',
  agent_key_expired: 'the agent key has expired',
} as const;

/** `GET /agent/v1/approvals/{id}`: registered before the catalog's catch-all (`mountGateway`). */
export function mountApprovalStatus(app: Hono<AppEnv>): void {
  app.get(`${GATEWAY_PREFIX}/approvals/:id`, async (c) => {
    const ctx = callContext(c, 'rest');
    const read = await readApprovalStatus(
      ctx,
      presentedKey(c.req.header('authorization')),
      c.req.param('id'),
    );
    switch (read.kind) {
      case 'unauthenticated':
        return errorResponse(
          401,
          errorBody(ctx.requestId, 'unauthorized', [read.reason], KEY_MESSAGES[read.reason]),
          {
            'www-authenticate': 'Bearer realm="bollard-agents"',
          },
        );
      case 'not_found':
        return errorResponse(
          404,
          errorBody(
            ctx.requestId,
            'not_found',
            ['approval_not_found'],
            'this agent has no approval with this id',
          ),
        );
      case 'found':
        return c.json(read.approval, 200, { 'cache-control': 'no-store' });
    }
  });
}
