import { type CallContext, entryFields, errorBody, errorResponse, record } from './call';
import { hashAgentKey, presentedKey } from './keys';
import { agentRegistry } from './registry';
import type { AuthenticatedAgent } from './registry-do';
import type { DecisionReason } from './types';

export type Authentication =
  | { ok: true; agent: AuthenticatedAgent; upstreamScopes: string[] }
  | { ok: false; response: Response };

const MESSAGES: Partial<Record<DecisionReason, string>> = {
  agent_key_missing: 'an agent key is required (Authorization: Bearer <agent key>)',
  agent_key_invalid: 'the agent key is not valid',
  agent_key_expired: 'the agent key has expired',
};

/**
 * Authenticates an agent key against the registry on every request — no cache, so a revoked or rotated
 * key fails on the very next call in every isolate. A failure is a 401 in Checkout.com's error shape and
 * is recorded (a revoked key looks exactly like an unknown one).
 */
export async function authenticateAgent(
  ctx: CallContext,
  authorization: string | undefined,
  method: string,
): Promise<Authentication> {
  const presented = presentedKey(authorization);
  let reason: DecisionReason;
  let agent: { id: string; name: string } | null = null;
  if (presented.kind === 'missing') reason = 'agent_key_missing';
  else if (presented.kind === 'malformed') reason = 'agent_key_invalid';
  else {
    const result = await agentRegistry(ctx.env).authenticate(await hashAgentKey(presented.key), Date.now());
    if (result.kind === 'ok') return { ok: true, agent: result.agent, upstreamScopes: result.upstreamScopes };
    reason = result.kind === 'expired' ? 'agent_key_expired' : 'agent_key_invalid';
    if (result.kind === 'expired') agent = result.agent;
  }
  await record(ctx, {
    agent_id: agent?.id ?? null,
    agent_name: agent?.name ?? null,
    method,
    ...entryFields(null),
    decision: 'denied',
    reason,
    upstream_status: null,
    upstream_request_id: null,
    idempotency_key: null,
    amount: null,
    currency: null,
  });
  return {
    ok: false,
    response: errorResponse(401, errorBody(ctx.requestId, 'unauthorized', [reason], MESSAGES[reason]), {
      'www-authenticate': 'Bearer realm="bollard-agents"',
    }),
  };
}
