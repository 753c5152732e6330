import { afterEach, describe, expect, it } from 'vitest';
import { verifyNdjson } from '../../../docs/verify-audit.mjs';
import type { ApprovalView } from '../../../src/agents/model/approval-view';
import type { AuditEntry } from '../../../src/agents/model/audit-entry';
import {
  type ApprovalErrorJson,
  agentStatus,
  agentStatusRead,
  approvalAt,
  approvalSettled,
  approvalView,
  createApprovalAgent,
  decideAs,
  decideOnObject,
} from '../approval-helpers';
import {
  ANY_SCOPE,
  admin,
  auditFor,
  cardPayment,
  gateway,
  indexCaughtUp,
  paymentsWithReference,
  simFaults,
  simRequests,
} from '../helpers';

/**
 * Approvals on `/agent/v1` (docs/agents.md, "Approvals"): each state of an approval as the agent meets it,
 * against the simulator, with its request counter proving what was (not) sent.
 */

const OVER_500_EUR = { at_or_over: { EUR: 50_000 } };

function payment(amount: number): { body: Record<string, unknown>; reference: string } {
  const reference = `approval-${crypto.randomUUID().slice(0, 12)}`;
  return { body: { ...cardPayment(amount), reference }, reference };
}

async function held(res: Response): Promise<ApprovalErrorJson> {
  expect(res.status).toBe(428);
  const body = (await res.json()) as ApprovalErrorJson;
  expect(body).toMatchObject({ error_type: 'approval_required', error_codes: ['approval_required'] });
  expect(res.headers.get('cko-idempotency-key')).toBe(body.idempotency_key);
  return body;
}

afterEach(async () => {
  await simFaults(null);
});

describe('approvals on /agent/v1', { timeout: 90_000 }, () => {
  it('holds a call at or over the threshold (428, nothing sent), answers 428 again while pending, runs smaller ones', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    expect(agent.approval).toEqual(OVER_500_EUR);
    const { body } = payment(60_000);
    const before = await simRequests();
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect(await simRequests()).toBe(before);
    expect(first.approval_id).toMatch(/^apr_[a-z2-7]{26}_[a-z2-7]{16}$/);
    expect(first.approval_status).toBe('pending');
    // Without a caller key Bollard generated one: the agent must re-send with it.
    expect(first.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    const expires = Date.parse(first.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(890_000);
    expect(expires).toBeLessThanOrEqual(900_000);
    expect(first.message).toContain(first.idempotency_key);

    const again = await held(
      await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': first.idempotency_key }),
    );
    expect(again.approval_id).toBe(first.approval_id);
    expect(await simRequests()).toBe(before);

    // Under the threshold nothing is asked.
    expect((await gateway(agent.key, 'POST', '/payments', payment(49_999).body)).status).toBe(201);

    // The agent reads its own approval; another agent, no key, or another id learn nothing.
    expect(await agentStatus(agent.key, first.approval_id)).toMatchObject({
      approval_id: first.approval_id,
      status: 'pending',
      method: 'requestPayment',
      path: '/payments',
      amount: 60_000,
      currency: 'EUR',
      idempotency_key: first.idempotency_key,
      approvers_required: 1,
      approvals: 0,
      decline_reason: null,
    });
    const other = await createApprovalAgent({ payments: 'write' }, null);
    expect((await agentStatusRead(other.key, first.approval_id)).status).toBe(404);
    expect((await agentStatusRead(null, first.approval_id)).status).toBe(401);
    expect((await agentStatusRead(agent.key, 'apr_nothing')).status).toBe(404);

    // Operators see the body with the card data redacted, and never the card number.
    const view = await approvalView(first.approval_id);
    expect(view).toMatchObject({ status: 'pending', agent_id: agent.id, amount: 60_000, channel: 'rest' });
    expect(view.body_redacted).toMatchObject({
      amount: 60_000,
      source: { type: 'card', number: '[redacted]', cvv: '[redacted]', expiry_month: '[redacted]' },
    });
    expect(JSON.stringify(view)).not.toContain('4242424242424242');
  });

  it('runs the approved request exactly once, then replays its answer without calling upstream', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    const { body, reference } = payment(70_000);
    const key = `approve-${crypto.randomUUID()}`;
    const first = await held(
      await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key }),
    );
    expect(first.idempotency_key).toBe(key);

    const approved = await decideAs(first.approval_id, 'approve');
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as ApprovalView).status).toBe('approved');

    // The same body with its keys in another order is the same request (canonical JSON).
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const ran = await gateway(agent.key, 'POST', '/payments', reordered, { 'cko-idempotency-key': key });
    expect(ran.status).toBe(201);
    const { id } = (await ran.json()) as { id: string };
    const executed = await approvalSettled(first.approval_id, 'executed');
    expect(executed).toMatchObject({ status: 'executed', executed_status: 201 });

    const before = await simRequests();
    const replay = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('cko-idempotency-key')).toBe(key);
    expect(((await replay.json()) as { id: string }).id).toBe(id);
    expect(await simRequests()).toBe(before);
    expect(await paymentsWithReference(reference)).toHaveLength(1);
    expect((await agentStatus(agent.key, first.approval_id)).status).toBe('executed');

    // Another amount under the key is not the approved request, executed or not.
    const beforeOther = await simRequests();
    const other = await gateway(
      agent.key,
      'POST',
      '/payments',
      { ...body, amount: 70_001 },
      { 'cko-idempotency-key': key },
    );
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({
      error_type: 'permission_denied',
      error_codes: ['approval_mismatch'],
      approval_id: first.approval_id,
    });
    expect(await simRequests()).toBe(beforeOther);
  });

  it('refuses another body, path or method under a pending approval’s key with 403 approval_mismatch', async () => {
    // Scope any: the other path names a payment this agent did not make (under own, scope refuses it first).
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR, undefined, ANY_SCOPE);
    const { body } = payment(80_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    const key = { 'cko-idempotency-key': first.idempotency_key };
    const before = await simRequests();
    for (const [path, sent] of [
      ['/payments', { ...body, amount: 80_001 }],
      ['/payments', { ...body, reference: 'changed' }],
      ['/payments/pay_other/refunds', { amount: 80_000 }],
    ] as const) {
      const res = await gateway(agent.key, 'POST', path, sent, key);
      expect(res.status).toBe(403);
      expect(((await res.json()) as ApprovalErrorJson).error_codes).toEqual(['approval_mismatch']);
    }
    expect(await simRequests()).toBe(before);
    // The approval itself is untouched.
    expect((await approvalView(first.approval_id)).status).toBe('pending');
  });

  it('refuses a declined request with 403 approval_declined, naming the reason to the agent', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    const { body } = payment(90_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    const noReason = await decideAs(first.approval_id, 'decline');
    expect(noReason.status).toBe(422);
    expect(((await noReason.json()) as ApprovalErrorJson).error_codes).toEqual(['reason_invalid']);
    const declined = await decideAs(first.approval_id, 'decline', {
      approver_id: 'dev',
      // Shown to the agent and kept in the chain, so card-shaped text in it is masked before it is stored.
      reason: 'not this supplier, card 4242424242424242',
    });
    expect(declined.status).toBe(200);
    const before = await simRequests();
    const res = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error_codes: ['approval_declined'],
      approval_status: 'declined',
    });
    expect(await simRequests()).toBe(before);
    expect(await agentStatus(agent.key, first.approval_id)).toMatchObject({
      status: 'declined',
      decline_reason: expect.stringMatching(/^not this supplier, card \S+$/),
    });
    expect(JSON.stringify(await agentStatus(agent.key, first.approval_id))).not.toContain('4242424242424242');
    // Approving it now is a conflict.
    expect((await decideAs(first.approval_id, 'approve')).status).toBe(409);
  });

  it('expires an approval after its ttl (injected clock): 403 approval_expired, and no decision after', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, { ...OVER_500_EUR, ttl_seconds: 120 });
    const { body } = payment(55_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect(Date.parse(first.expires_at) - Date.now()).toBeLessThanOrEqual(120_000);
    // One second before the expiry it is still pending; at the expiry it is expired.
    const expiry = Date.parse(first.expires_at);
    expect((await approvalAt(agent.id, first.approval_id, expiry - 1_000))?.approval.status).toBe('pending');
    expect((await approvalAt(agent.id, first.approval_id, expiry))?.approval.status).toBe('expired');

    const res = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error_codes: ['approval_expired'],
      approval_id: first.approval_id,
    });
    const late = await decideAs(first.approval_id, 'approve');
    expect(late.status).toBe(409);
    expect(((await late.json()) as ApprovalErrorJson).error_codes).toEqual(['approval_expired']);
  });

  it('lets concurrent re-sends of an approved call send it upstream once; the others replay its answer', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    const { body, reference } = payment(65_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect((await decideAs(first.approval_id, 'approve')).status).toBe(200);
    // A slow upstream, so that the re-sends overlap the execution.
    await simFaults({ routes: { 'POST /payments': { latency_ms: 800 } } });
    const before = await simRequests();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': first.idempotency_key }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    expect(await simRequests()).toBe(before + 1);
    expect(await paymentsWithReference(reference)).toHaveLength(1);
    // In the chain: one call sent (its start and outcome), four replays.
    const records = (await auditFor(agent.id)).filter((r) => r.idempotency_key === first.idempotency_key);
    expect(records.filter((r) => r.reason === 'approval_replayed')).toHaveLength(4);
    expect(records.filter((r) => r.reason === 'allowed' && r.upstream_status === 201)).toHaveLength(1);
  });

  it('holds named methods whatever the amount, and every money-moving call when asked', async () => {
    const unlimited = await createApprovalAgent({ payments: 'write' }, null);
    const made = await gateway(unlimited.key, 'POST', '/payments', cardPayment(1_000));
    const { id } = (await made.json()) as { id: string };
    const refunder = await createApprovalAgent(
      { payments: 'write' },
      { methods: ['refundPayment'] },
      undefined,
      ANY_SCOPE,
    );
    const refund = await held(await gateway(refunder.key, 'POST', `/payments/${id}/refunds`, { amount: 1 }));
    expect(refund.message).toContain('refundPayment always needs approval');
    expect((await gateway(refunder.key, 'POST', '/payments', cardPayment(100))).status).toBe(201);

    const everything = await createApprovalAgent(
      { payments: 'write' },
      { all_money_moving: true },
      undefined,
      ANY_SCOPE,
    );
    await held(await gateway(everything.key, 'POST', '/payments', cardPayment(1)));
    expect((await gateway(everything.key, 'GET', `/payments/${id}`)).status).toBe(200);
  });

  it('binds a call without a money key (a named non-money method) to a key Bollard generates', async () => {
    const agent = await createApprovalAgent({ customers: 'write' }, { methods: ['createCustomer'] });
    const customer = { email: `approval-${crypto.randomUUID().slice(0, 8)}@example.com`, name: 'Approval' };
    const first = await held(await gateway(agent.key, 'POST', '/customers', customer));
    expect(first.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    expect((await decideAs(first.approval_id, 'approve')).status).toBe(200);
    // Without the key it is a new request, held again.
    await held(await gateway(agent.key, 'POST', '/customers', customer));
    const ran = await gateway(agent.key, 'POST', '/customers', customer, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(ran.status).toBe(201);
    const { id } = (await ran.json()) as { id: string };
    await approvalSettled(first.approval_id, 'executed');
    const before = await simRequests();
    const replay = await gateway(agent.key, 'POST', '/customers', customer, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(((await replay.json()) as { id: string }).id).toBe(id);
    expect(await simRequests()).toBe(before);
  });

  it('needs two different approvers at or over the second threshold', async () => {
    const agent = await createApprovalAgent(
      { payments: 'write' },
      { at_or_over: { EUR: 1_000 }, two_approvers_at_or_over: { EUR: 50_000 } },
    );
    const { body } = payment(60_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect(first.message).toContain('two different approvers');
    const once = await decideAs(first.approval_id, 'approve');
    expect(((await once.json()) as ApprovalView).status).toBe('pending');
    const twice = await decideAs(first.approval_id, 'approve');
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as ApprovalErrorJson).error_codes).toEqual(['approver_already_decided']);
    await held(
      await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': first.idempotency_key }),
    );

    // A second, different approver (as the passkey check proves one) makes it approved.
    const { requestHash } = (await approvalAt(agent.id, first.approval_id, Date.now())) ?? {
      requestHash: '',
    };
    const second = await decideOnObject(agent.id, first.approval_id, {
      decision: 'approve',
      reason: null,
      approver: {
        approver_id: 'apv_second',
        approver_name: 'Second',
        credential_id: 'cred-2',
        via: 'passkey',
      },
      requestHash,
      requestId: 'req-second-approver',
    });
    expect(second.kind === 'decided' && second.approval.status).toBe('approved');
    const ran = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(ran.status).toBe(201);
    // Under the second threshold one approver is enough.
    const small = await held(await gateway(agent.key, 'POST', '/payments', payment(2_000).body));
    expect((await approvalView(small.approval_id)).approvers_required).toBe(1);
  });

  it('refuses what the limits refuse without asking anyone', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR, {
      max_amount_per_call: { EUR: 100_000 },
    });
    const res = await gateway(agent.key, 'POST', '/payments', payment(200_000).body);
    expect(res.status).toBe(403);
    expect(((await res.json()) as ApprovalErrorJson).error_codes).toEqual(['amount_limit_exceeded']);
    expect(
      (await admin(`/admin/approvals?agent=${agent.id}`).then((r) => r.json())) as unknown,
    ).toMatchObject({
      total_count: 0,
    });
  });

  it('revoking the agent ends its open approvals: pending and approved both expire, each in the chain', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    const waiting = await held(await gateway(agent.key, 'POST', '/payments', payment(60_000).body));
    const approved = await held(await gateway(agent.key, 'POST', '/payments', payment(70_000).body));
    expect((await decideAs(approved.approval_id, 'approve')).status).toBe(200);

    expect((await admin(`/admin/agents/${agent.id}/revoke`, { method: 'POST' })).status).toBe(200);
    expect((await approvalView(waiting.approval_id)).status).toBe('expired');
    expect((await approvalView(approved.approval_id)).status).toBe('expired');
    // Nobody can decide what is left of them.
    expect((await decideAs(waiting.approval_id, 'approve')).status).toBe(409);

    await indexCaughtUp(agent.id);
    const text = await (await admin(`/admin/audit/export?agent=${agent.id}`)).text();
    expect(verifyNdjson(text)[0]).toMatchObject({ valid: true });
    const expired = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => e.reason === 'approval_expired');
    expect(expired.map((e) => e.approval_id).sort()).toEqual(
      [waiting.approval_id, approved.approval_id].sort(),
    );
  });

  it('records requested, approved (who, which credential, how), executed and replays in the chain, which verifies', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    const { body } = payment(75_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    const key = { 'cko-idempotency-key': first.idempotency_key };
    await held(await gateway(agent.key, 'POST', '/payments', body, key));
    await decideAs(first.approval_id, 'approve');
    expect((await gateway(agent.key, 'POST', '/payments', body, key)).status).toBe(201);
    await approvalSettled(first.approval_id, 'executed');
    expect((await gateway(agent.key, 'POST', '/payments', body, key)).status).toBe(201);

    await indexCaughtUp(agent.id);
    const text = await (await admin(`/admin/audit/export?agent=${agent.id}`)).text();
    expect(verifyNdjson(text)[0]).toMatchObject({ valid: true });
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(entries.map((e) => [e.kind, e.reason])).toEqual([
      ['approval', 'approval_requested'],
      ['call', 'approval_pending'],
      ['approval', 'approval_approved'],
      ['start', 'allowed'],
      ['outcome', 'allowed'],
      ['approval', 'approval_executed'],
      ['call', 'approval_replayed'],
    ]);
    const [requested, , approved, , , executed] = entries;
    expect(requested).toMatchObject({ approval_id: first.approval_id, amount: 75_000, currency: 'EUR' });
    expect(requested?.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(approved).toMatchObject({
      approval_id: first.approval_id,
      approver_id: 'dev',
      approver_via: 'dev_bearer',
      approver_credential_id: null,
      decision: 'allowed',
    });
    expect(executed).toMatchObject({
      upstream_status: 201,
      call_seq: 4,
      request_hash: requested?.request_hash,
    });
    // The whole chain also verifies in its object, and no entry holds card data.
    const verify = (await (await admin(`/admin/audit/verify?agent=${agent.id}`)).json()) as {
      valid: boolean;
    };
    expect(verify.valid).toBe(true);
    expect(text).not.toContain('4242424242424242');
  });
});
