import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { SimControl } from '../support/chaos/upstream-setup';
import { ADMIN } from './approver-helpers';

/**
 * An approved call under a cut connection, through the `npm start` topology (a cut needs a real socket;
 * the workerd tier covers the answered faults in test/agents/gateway/approvals-chaos.test.ts): the agent's
 * payment waits for approval (428), a person approves it, and the connection of the re-send is cut after
 * Checkout.com processed it. Bollard cannot know the outcome, so it answers 504 with the key; the approval
 * stays approved for that key, the retry gets the original payment (one payment upstream), and a further
 * re-send replays that answer without calling upstream again.
 */
const SIM_PORT = 18844;
const BOLLARD_PORT = 18845;
const THRESHOLD = 1_000;

let stack: Stack;
let sim: SimControl;
let agentKey = '';

interface ApprovalView {
  status: string;
  executed_status: number | null;
}

beforeAll(async () => {
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: {
      // Development's bearer approval (docs/agents.md, "Approvals → Dev"): the passkey ceremony is the
      // console tests' subject (approvals-console.test.ts), not this one's.
      APPROVALS_ALLOW_ADMIN_TOKEN: 'true',
      AGENT_UPSTREAM_DEADLINE_MS: '2500',
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000',
    },
  });
  sim = new SimControl(stack.simUrl);
  const agent = await fetch(`${stack.bollardUrl}/admin/agents`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({
      name: 'approvals under cuts',
      grants: { payments: 'write' },
      approval: { at_or_over: { GBP: THRESHOLD } },
    }),
  });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${await agent.text()}`);
  agentKey = ((await agent.json()) as { key: string }).key;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function pay(body: unknown, key: string): Promise<Response> {
  return fetch(`${stack.bollardUrl}/agent/v1/payments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${agentKey}`,
      'content-type': 'application/json',
      'cko-idempotency-key': key,
    },
    body: JSON.stringify(body),
  });
}

async function approval(id: string): Promise<ApprovalView> {
  const res = await fetch(`${stack.bollardUrl}/admin/approvals/${id}`, { headers: ADMIN });
  return (await res.json()) as ApprovalView;
}

describe('an approved call under a cut connection (npm start topology)', () => {
  it('answers 504 with the key, and the retry runs it once: one payment upstream, then replays', async () => {
    const reference = `approvals-cut-${crypto.randomUUID().slice(0, 8)}`;
    const key = `approval-cut-${crypto.randomUUID()}`;
    const body = {
      amount: THRESHOLD * 5,
      currency: 'GBP',
      capture: true,
      reference,
      source: { type: 'token', token: await sim.cardToken() },
    };

    const held = await pay(body, key);
    expect(held.status).toBe(428);
    const { approval_id: id } = (await held.json()) as { approval_id: string };
    const approved = await fetch(`${stack.bollardUrl}/admin/approvals/${id}/approve`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ approver_id: 'dev' }),
    });
    expect(approved.status).toBe(200);
    expect((await approval(id)).status).toBe('approved');

    // The re-send's attempt is processed upstream, slowly, and its connection cut after processing: past
    // the attempt's timeout, and every further attempt finds the key in use until the deadline (a replay
    // of a finished key would tell Bollard the outcome). Bollard cannot know, and says so with the key.
    await sim.setFault('POST /payments', { latency_ms: 3_000, drop: 'after' });
    try {
      const cut = await pay(body, key);
      expect(cut.status).toBe(504);
      const cutBody = (await cut.json()) as { error_type: string };
      expect(cutBody.error_type).toBe('upstream_outcome_unknown');
      expect(cut.headers.get('cko-idempotency-key')).toBe(key);
      // The stalled attempt still finishes upstream: one payment.
      await expect.poll(() => sim.paymentsByReference(reference), { timeout: 10_000, interval: 200 }).toBe(1);
    } finally {
      await sim.setFault('POST /payments', null);
    }
    // Unknown is not executed: the approval still lets this key's retry run.
    expect((await approval(id)).status).toBe('approved');

    const retry = await pay(body, key);
    expect(retry.status).toBe(201);
    const retried = await retry.text();
    expect(await sim.paymentsByReference(reference)).toBe(1);
    expect(await approval(id)).toMatchObject({ status: 'executed', executed_status: 201 });

    const effectsBefore = await sim.effects();
    const replay = await pay(body, key);
    expect(replay.status).toBe(201);
    expect(await replay.text()).toBe(retried);
    expect(await sim.effects()).toEqual(effectsBefore);
    expect(await sim.paymentsByReference(reference)).toBe(1);
  });
});
