import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../../workers/bollard/index';
import { approvalSettled, createApprovalAgent, decideAs } from '../approval-helpers';
import { BASE, cardPayment, createAgent, gateway } from '../helpers';

const metered = { ...env, DO_METER: 'on' } as Env;

/** One request through the whole Worker with the Durable Object meter on: the round trips it waited on. */
async function trips(
  key: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; waited: Record<string, number>; body: Record<string, unknown> }> {
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  const res = await worker.fetch(new Request(`${BASE}${path}`, { ...init, headers }), metered, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  const waited = Object.fromEntries(
    (res.headers.get('x-bollard-do-calls-detail') ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string])
      .map(([k, v]) => [k, Number(v)]),
  );
  delete waited.RATE_GOVERNOR; // amortised across calls
  return { status: res.status, waited, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('approvals keep the one round trip per call', { timeout: 60_000 }, () => {
  it('holding, executing, replaying and reading the status each wait on one round trip to the agent', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, { at_or_over: { EUR: 50_000 } });
    const send = (key?: string) =>
      trips(agent.key, '/agent/v1/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'cko-idempotency-key': key } : {}) },
        body: JSON.stringify(cardPayment(60_000)),
      });
    const held = await send();
    expect(held.status).toBe(428);
    expect(held.waited).toEqual({ AGENT: 1 });
    const id = String(held.body.approval_id);
    const key = String(held.body.idempotency_key);

    const status = await trips(agent.key, `/agent/v1/approvals/${id}`);
    expect(status.status).toBe(200);
    expect(status.waited).toEqual({ AGENT: 1 });

    expect((await decideAs(id, 'approve')).status).toBe(200);
    const ran = await send(key);
    expect(ran.status).toBe(201);
    expect(ran.waited).toEqual({ AGENT: 1 });
    await approvalSettled(id, 'executed');
    const replay = await send(key);
    expect(replay.status).toBe(201);
    expect(replay.waited).toEqual({ AGENT: 1 });
  });

  it('object scope and the budgets, checked before an approval is asked for, stay inside that one round trip', async () => {
    const maker = await createAgent({ payments: 'write' });
    const made = await gateway(maker.key, 'POST', '/payments', cardPayment(1_000));
    const theirs = ((await made.json()) as { id: string }).id;
    const agent = await createApprovalAgent(
      { payments: 'write' },
      { at_or_over: { EUR: 50_000 }, methods: ['refundPayment'] },
      { max_amount_per_30_days: { EUR: 40_000 } },
    );
    const notOwned = await trips(agent.key, `/agent/v1/payments/${theirs}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 100 }),
    });
    expect(notOwned.status).toBe(403);
    expect(notOwned.body.error_codes).toEqual(['object_not_owned']);
    expect(notOwned.waited).toEqual({ AGENT: 1 });
    const overBudget = await trips(agent.key, '/agent/v1/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cardPayment(60_000)),
    });
    expect(overBudget.status).toBe(403);
    expect(overBudget.body.error_codes).toEqual(['rolling_30_day_limit_exceeded']);
    expect(overBudget.waited).toEqual({ AGENT: 1 });
  });
});
