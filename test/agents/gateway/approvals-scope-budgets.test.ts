import { describe, expect, it } from 'vitest';
import { settled } from '../../support/worker-fetch';
import { type ApprovalErrorJson, approvalView, createApprovalAgent, decideAs } from '../approval-helpers';
import { ANY_SCOPE, admin, auditFor, cardPayment, createAgent, gateway, simRequests } from '../helpers';
import { verifiedReceipt } from '../proof/helpers';

/**
 * Object scope and budgets over time meeting approvals (docs/agents.md, "Scope, budgets and approvals"):
 * scope refuses before any approval is asked for; the budgets are checked as they stand when one would be
 * asked for, and held atomically when the approved re-send runs; an approved creating call makes its object
 * the agent's. Against the simulator, with its request counter proving what was (not) sent.
 */

const OVER_500_EUR = { at_or_over: { EUR: 50_000 } };
type ErrorJson = { error_type: string; error_codes: string[]; message: string };

function payment(amount: number, capture = true): Record<string, unknown> {
  return { ...cardPayment(amount, 'EUR', capture), reference: `asb-${crypto.randomUUID().slice(0, 12)}` };
}

async function held(res: Response): Promise<ApprovalErrorJson> {
  expect(res.status, await res.clone().text()).toBe(428);
  return (await res.json()) as ApprovalErrorJson;
}

async function refused(res: Response, code: string): Promise<ErrorJson> {
  const text = await res.clone().text();
  expect(res.status, text).toBe(403);
  const body = (await res.json()) as ErrorJson;
  expect(body).toMatchObject({ error_type: 'permission_denied', error_codes: [code] });
  // The signed receipt names the refusal, as the chain does.
  const claims = await verifiedReceipt(res.headers.get('bollard-receipt') ?? '');
  expect(claims).toMatchObject({ decision: 'denied', reason: code, status: 403, upstream_status: null });
  return body;
}

/** Every approval the agent's object holds, whatever its status (`GET /admin/approvals?agent=`). */
async function approvalsOf(agentId: string): Promise<number> {
  const res = await admin(`/admin/approvals?agent=${agentId}`);
  return ((await res.json()) as { total_count: number }).total_count;
}

async function spent30(agentId: string): Promise<Record<string, number>> {
  const res = await admin(`/admin/agents/${agentId}`);
  return ((await res.json()) as { spent: { last_30_days: Record<string, number> } }).spent.last_30_days;
}

describe('object scope and budgets with approvals', { timeout: 60_000 }, () => {
  it('refuses a call on an object the agent does not own before any approval is asked for', async () => {
    const maker = await createAgent({ payments: 'write' });
    const made = await gateway(maker.key, 'POST', '/payments', payment(1_000));
    const theirs = ((await made.json()) as { id: string }).id;
    // A refund bot limited to its own payments, whose refunds a person approves.
    const bot = await createApprovalAgent({ payments: 'write' }, { methods: ['refundPayment'] });
    expect(bot.scope).toEqual({ payments: 'own' });

    const before = await simRequests();
    const body = await refused(
      await gateway(bot.key, 'POST', `/payments/${theirs}/refunds`, { amount: 100 }),
      'object_not_owned',
    );
    expect(body.message).not.toContain(theirs);
    expect(await simRequests()).toBe(before);
    expect(await approvalsOf(bot.id)).toBe(0);
    // The chain has the one refusal, and no approval entry.
    const records = await auditFor(bot.id);
    expect(records.map((r) => r.reason)).toEqual(['object_not_owned']);

    // Its own payment's refund is held for a person, as the policy says.
    const own = await gateway(bot.key, 'POST', '/payments', payment(1_000));
    const mine = ((await own.json()) as { id: string }).id;
    await held(await gateway(bot.key, 'POST', `/payments/${mine}/refunds`, { amount: 100 }));
    expect(await approvalsOf(bot.id)).toBe(1);
  });

  it('does not ask a person to approve what the budgets refuse as they stand, and says which budget', async () => {
    // A procurement agent: 1,000 EUR per rolling 30 days, approvals at or over 500 EUR.
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR, {
      max_amount_per_30_days: { EUR: 100_000 },
    });
    const body = payment(60_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect((await decideAs(first.approval_id, 'approve')).status).toBe(200);
    // Nothing is held while an approval waits.
    expect(await spent30(agent.id)).toEqual({});
    const ran = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(ran.status).toBe(201);
    await settled();
    expect(await spent30(agent.id)).toEqual({ EUR: 60_000 });

    // 500 EUR more would pass the 30-day budget: refused at once, named, and nobody is asked.
    const before = await simRequests();
    const over = await refused(
      await gateway(agent.key, 'POST', '/payments', payment(50_000)),
      'rolling_30_day_limit_exceeded',
    );
    expect(over.message).toContain('60000 used in the last 30 days');
    expect(await simRequests()).toBe(before);
    expect(await approvalsOf(agent.id)).toBe(1);
    // Under the threshold and within the budget, a call runs without a person.
    expect((await gateway(agent.key, 'POST', '/payments', payment(30_000))).status).toBe(201);
  });

  it('checks a velocity limit before asking, and counts the approved call when it runs', async () => {
    const agent = await createApprovalAgent(
      { payments: 'write' },
      { all_money_moving: true },
      { max_calls_per_hour: { '*': 1 } },
    );
    const body = payment(1_000);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect((await decideAs(first.approval_id, 'approve')).status).toBe(200);
    const ran = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(ran.status).toBe(201);
    await refused(await gateway(agent.key, 'POST', '/payments', payment(1_000)), 'velocity_limit_exceeded');
    expect(await approvalsOf(agent.id)).toBe(1);
  });

  it('holds the budget atomically when approved re-sends run: of two that fit alone, one runs', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR, {
      max_amount_per_30_days: { EUR: 100_000 },
    });
    const a = payment(60_000);
    const b = payment(60_000);
    // Each fits the budget as it stands when asked for (nothing is used yet), so each is asked for.
    const ha = await held(await gateway(agent.key, 'POST', '/payments', a));
    const hb = await held(await gateway(agent.key, 'POST', '/payments', b));
    expect((await decideAs(ha.approval_id, 'approve')).status).toBe(200);
    expect((await decideAs(hb.approval_id, 'approve')).status).toBe(200);

    const before = await simRequests();
    const answers = await Promise.all([
      gateway(agent.key, 'POST', '/payments', a, { 'cko-idempotency-key': ha.idempotency_key }),
      gateway(agent.key, 'POST', '/payments', b, { 'cko-idempotency-key': hb.idempotency_key }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 403]);
    const loser = answers.findIndex((r) => r.status === 403);
    const lost = answers[loser];
    if (!lost) throw new Error('no refusal');
    await refused(lost, 'rolling_30_day_limit_exceeded');
    expect(await simRequests()).toBe(before + 1);
    await settled();
    expect(await spent30(agent.id)).toEqual({ EUR: 60_000 });
    // The refused one did not run: still approved, to run once the budget has room, until it expires.
    const views = await Promise.all([ha, hb].map((h) => approvalView(h.approval_id)));
    expect(views.map((v) => v.status).sort()).toEqual(['approved', 'executed']);
    expect(views[loser]?.status).toBe('approved');
  });

  it('makes the object an approved creating call made the agent’s, from the re-send’s answer', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, OVER_500_EUR);
    expect(agent.scope).toEqual({ payments: 'own' });
    const body = payment(60_000, false);
    const first = await held(await gateway(agent.key, 'POST', '/payments', body));
    expect((await decideAs(first.approval_id, 'approve')).status).toBe(200);
    const ran = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(ran.status).toBe(201);
    const { id } = (await ran.json()) as { id: string };
    await settled();
    const view = await admin(`/admin/agents/${agent.id}`);
    expect(((await view.json()) as { objects: { owned: Record<string, number> } }).objects.owned).toEqual({
      payment: 1,
    });
    // Its own payment now: read it, and capture part of it (under the threshold: no approval).
    expect((await gateway(agent.key, 'GET', `/payments/${id}`)).status).toBe(200);
    const capture = await gateway(agent.key, 'POST', `/payments/${id}/captures`, { amount: 1_000 });
    expect(capture.status, await capture.clone().text()).toBe(202);
    // A replay of the approved call answers from the kept answer; the object stays the agent's.
    const replay = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': first.idempotency_key,
    });
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { id: string }).id).toBe(id);
  });

  it('under scope any, another agent’s payment is in reach, and the policy holds its refund for a person', async () => {
    // Scope any: another agent's payment is in reach, and the approval policy applies to it as to any.
    const maker = await createAgent({ payments: 'write' });
    const theirs = (
      (await (await gateway(maker.key, 'POST', '/payments', payment(1_000))).json()) as {
        id: string;
      }
    ).id;
    const wide = await createApprovalAgent(
      { payments: 'write' },
      { methods: ['refundPayment'] },
      undefined,
      ANY_SCOPE,
    );
    await held(await gateway(wide.key, 'POST', `/payments/${theirs}/refunds`, { amount: 100 }));
  });
});
