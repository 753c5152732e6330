import { env } from 'cloudflare:workers';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  admin,
  auditFor,
  cardPayment,
  createAgent,
  gateway,
  mcpClient,
  paymentsWithReference,
  simConfig,
} from '../helpers';

type ErrorJson = { error_type: string; error_codes: string[]; message: string };

afterAll(async () => {
  await simConfig({ writes_per_second: 100 });
  await env.RATE_GOVERNOR.getByName('account').configure(null);
});

async function mcpPayment(client: Client, body: unknown): Promise<{ status: number; codes: string[] }> {
  const result = await client.callTool({ name: 'requestPayment', arguments: { body } });
  const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
  const payload = JSON.parse(text) as { status: number; body: { error_codes?: string[] } };
  return { status: payload.status, codes: payload.body.error_codes ?? [] };
}

describe('budgets over time through the gateway', { timeout: 120_000 }, () => {
  it('50 concurrent payments of 10 EUR under a 100 EUR rolling 30-day budget, REST and MCP together: exactly 10 pass', async () => {
    // The point is the budget, not the account's write rate: lift the simulator's and the governor's.
    await simConfig({ writes_per_second: 100_000 });
    await env.RATE_GOVERNOR.getByName('account').configure({ writesPerSecond: 100_000 });
    const agent = await createAgent(
      { payments: 'write' },
      { limits: { max_amount_per_30_days: { EUR: 10_000 } } },
    );
    const client = await mcpClient(agent.key);
    const reference = `budget-${crypto.randomUUID().slice(0, 12)}`;
    const body = { ...cardPayment(1_000), reference };
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        if (i % 2 === 1) return mcpPayment(client, body);
        const res = await gateway(agent.key, 'POST', '/payments', body);
        const json = (await res.json()) as Partial<ErrorJson>;
        return { status: res.status, codes: json.error_codes ?? [] };
      }),
    );
    const passed = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 403);
    expect(passed).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(refused.every((r) => r.codes.join() === 'rolling_30_day_limit_exceeded')).toBe(true);
    // Exactly ten payments exist upstream, and the agent's object counts exactly what they moved.
    expect(await paymentsWithReference(reference)).toHaveLength(10);
    const view = (await (await admin(`/admin/agents/${agent.id}`)).json()) as {
      spent: { last_30_days: Record<string, number>; lifetime: Record<string, number> };
    };
    expect(view.spent.last_30_days).toEqual({ EUR: 10_000 });
    expect(view.spent.lifetime).toEqual({ EUR: 10_000 });
    const records = await auditFor(agent.id);
    expect(records.filter((r) => r.decision === 'allowed')).toHaveLength(10);
    const denied = records.filter((r) => r.reason === 'rolling_30_day_limit_exceeded');
    expect(denied).toHaveLength(40);
    expect(new Set(denied.map((r) => r.channel))).toEqual(new Set(['rest', 'mcp']));
  });

  it('a refusal names the window and what is used', async () => {
    const agent = await createAgent(
      { payments: 'write' },
      { limits: { max_amount_per_7_days: { EUR: 1_000 }, max_amount_lifetime: { EUR: 5_000 } } },
    );
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(800))).status).toBe(201);
    const res = await gateway(agent.key, 'POST', '/payments', cardPayment(300));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error_type: 'permission_denied',
      error_codes: ['rolling_7_day_limit_exceeded'],
      message: 'amount 300 EUR would exceed the rolling 7-day limit of 1000 (800 used in the last 7 days)',
    });
    // A currency the budget maps do not name is refused, failing closed.
    const usd = await gateway(agent.key, 'POST', '/payments', cardPayment(1, 'USD'));
    expect(((await usd.json()) as ErrorJson).error_codes).toEqual(['currency_not_allowed']);
  });

  it('limits money-moving calls per hour, per method and overall; a 4xx upstream gives its call back', async () => {
    const agent = await createAgent(
      { payments: 'write' },
      { limits: { max_calls_per_hour: { '*': 4, capturePayment: 1 } } },
    );
    const auth = (await (
      await gateway(agent.key, 'POST', '/payments', cardPayment(900, 'EUR', false))
    ).json()) as {
      id: string;
    };
    // No amount: a velocity limit alone needs none, and reads nothing upstream to find it.
    expect((await gateway(agent.key, 'POST', `/payments/${auth.id}/captures`, {})).status).toBe(202);
    const second = await gateway(agent.key, 'POST', `/payments/${auth.id}/captures`, {});
    expect(second.status).toBe(403);
    expect(await second.json()).toMatchObject({
      error_codes: ['velocity_limit_exceeded'],
      message: 'at most 1 capturePayment calls an hour (1 in the last hour)',
    });
    // Upstream 422 (no source): nothing moved, so the call is given back.
    expect((await gateway(agent.key, 'POST', '/payments', { amount: 1, currency: 'EUR' })).status).toBe(422);
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(10))).status).toBe(201);
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(10))).status).toBe(201);
    const over = await gateway(agent.key, 'POST', '/payments', cardPayment(10));
    expect(((await over.json()) as ErrorJson).error_codes).toEqual(['velocity_limit_exceeded']);
    // Reads are not money-moving: not counted, never limited by it.
    expect((await gateway(agent.key, 'GET', `/payments/${auth.id}`)).status).toBe(200);
    // The outcome that gives a call back is appended after the answer: poll until it has landed.
    const calls = async () =>
      ((await (await admin(`/admin/agents/${agent.id}`)).json()) as { spent: { calls_last_hour: unknown } })
        .spent.calls_last_hour;
    await expect.poll(calls).toEqual({ '*': 4, requestPayment: 3, capturePayment: 1 });
  });
});
