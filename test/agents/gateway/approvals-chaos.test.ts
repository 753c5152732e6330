import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ApprovalErrorJson,
  approvalSettled,
  approvalView,
  createApprovalAgent,
  decideAs,
} from '../approval-helpers';
import {
  cardPayment,
  type EnvOverrides,
  gateway,
  paymentsWithReference,
  simFaults,
  simRequests,
} from '../helpers';

/**
 * Approvals under faults (the chaos case of docs/agents.md, "Approvals"): the approved re-send's connection
 * is cut after Checkout.com processed it, so Bollard cannot know the outcome (504 with the key); the
 * approval stays approved for retries with that key, and the retry gets the original payment — one payment
 * upstream — after which the approval is executed and replays without calling upstream.
 */
afterEach(async () => {
  await simFaults(null);
});

/** A short overall deadline, so that a stalled upstream is an unknown outcome in about a second. */
const SHORT: EnvOverrides = { AGENT_UPSTREAM_DEADLINE_MS: '1200', UPSTREAM_ATTEMPT_TIMEOUT_MS: '600' };

async function approvedPayment(amount: number) {
  const agent = await createApprovalAgent({ payments: 'write' }, { at_or_over: { EUR: 50_000 } });
  const reference = `approval-chaos-${crypto.randomUUID().slice(0, 12)}`;
  const body = { ...cardPayment(amount), reference };
  const res = await gateway(agent.key, 'POST', '/payments', body);
  expect(res.status).toBe(428);
  const { approval_id, idempotency_key } = (await res.json()) as ApprovalErrorJson;
  expect((await decideAs(approval_id, 'approve')).status).toBe(200);
  return { agent, reference, body, approvalId: approval_id, key: idempotency_key };
}

/** Once its stalled first attempt has finished upstream (the simulator's own timer, in another Worker). */
async function settled(reference: string): Promise<void> {
  await vi.waitFor(async () => expect(await paymentsWithReference(reference)).not.toHaveLength(0), {
    timeout: 8_000,
    interval: 50,
  });
}

describe('approvals under faults', { timeout: 90_000 }, () => {
  it('approve, drop the connection on the re-send (504 with the key), the retry runs once', async () => {
    const { agent, reference, body, approvalId, key } = await approvedPayment(66_000);
    // The re-send's attempt is processed upstream but its answer never arrives (the connection is cut
    // after processing, past the attempt's timeout), and every further attempt finds the key in use
    // until the deadline: Bollard cannot know, and says so with the key.
    await simFaults({ routes: { 'POST /payments': { latency_ms: 2_500, drop: 'after' } } });
    const cut = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key }, SHORT);
    expect(cut.status).toBe(504);
    expect(cut.headers.get('cko-idempotency-key')).toBe(key);
    expect(((await cut.json()) as ApprovalErrorJson).error_type).toBe('upstream_outcome_unknown');
    await settled(reference);
    await simFaults(null);
    // Still approved (nobody knows yet whether it ran), open for retries with the key for its 24 hours.
    const afterCut = await approvalView(approvalId);
    expect(afterCut.status).toBe('approved');
    expect(Date.parse(afterCut.expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);

    const retry = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(retry.status).toBe(201);
    const { id } = (await retry.json()) as { id: string };
    expect((await paymentsWithReference(reference)).map((p) => p.id)).toEqual([id]);
    expect(await approvalSettled(approvalId, 'executed')).toMatchObject({ executed_status: 201 });

    const before = await simRequests();
    const replay = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(((await replay.json()) as { id: string }).id).toBe(id);
    expect(await simRequests()).toBe(before);
  });

  it('approve, cut every answer after processing on the re-send: Bollard’s own retry with the key gets it, once', async () => {
    const { agent, reference, body, approvalId, key } = await approvedPayment(67_000);
    await simFaults({ routes: { 'POST /payments': { drop: 'after' } } });
    const res = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await simFaults(null);
    expect((await paymentsWithReference(reference)).map((p) => p.id)).toEqual([id]);
    expect(await approvalSettled(approvalId, 'executed')).toMatchObject({ executed_status: 201 });
  });
});
