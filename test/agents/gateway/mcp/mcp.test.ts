import { describe, expect, it } from 'vitest';
import { admin, auditFor, call, cardPayment, createAgent, mcpClient, updateAgent } from '../../helpers';

function parse(result: Record<string, unknown>): { status: number; body: Record<string, unknown> } {
  const [first] = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(first?.text ?? '{}') as { status: number; body: Record<string, unknown> };
}

describe('MCP at /agent/mcp', { timeout: 60_000 }, () => {
  it('refuses a missing or wrong key with a 401 before any MCP exchange', async () => {
    const res = await call('/agent/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    await expect(mcpClient(`bak_${'c'.repeat(40)}`)).rejects.toThrow();
  });

  it('describes tools from the catalog: schema with path params and body, and calls them through the pipeline', async () => {
    const agent = await createAgent(
      { payments: 'write' },
      { limits: { max_amount_per_call: { EUR: 1000 } } },
    );
    const client = await mcpClient(agent.key);
    const { tools } = await client.listTools();
    const refund = tools.find((t) => t.name === 'refundPayment');
    expect(refund?.description).toContain('POST /payments/{id}/refunds');
    expect(Object.keys(refund?.inputSchema.properties ?? {})).toEqual(['id', 'body', 'idempotency_key']);
    expect(refund?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    // Path ids are described by the resource they name, not by what the call acts on.
    const actions = tools.find((t) => t.name === 'getPaymentActions');
    const actionsId = (actions?.inputSchema.properties?.id ?? {}) as { description?: string };
    expect(actionsId.description).toBe('The payment id in /payments/{id}/actions');
    const idemKey = (refund?.inputSchema.properties?.idempotency_key ?? {}) as { description?: string };
    expect(idemKey.description).toContain('outcome is unknown');
    const list = tools.find((t) => t.name === 'listPayments');
    expect(Object.keys(list?.inputSchema.properties ?? {})).toEqual(['query']);
    expect(list?.annotations).toMatchObject({ readOnlyHint: true });

    const paid = parse(
      await client.callTool({ name: 'requestPayment', arguments: { body: cardPayment(900) } }),
    );
    expect(paid.status).toBe(201);
    const id = paid.body.id as string;
    const got = parse(await client.callTool({ name: 'getPayment', arguments: { id } }));
    expect(got).toMatchObject({ status: 200, body: { id, amount: 900 } });
    const over = await client.callTool({ name: 'requestPayment', arguments: { body: cardPayment(5000) } });
    expect(over.isError).toBe(true);
    expect(parse(over)).toMatchObject({
      status: 403,
      body: { error_type: 'permission_denied', error_codes: ['amount_limit_exceeded'] },
    });
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.channel, r.entry, r.decision, r.amount])).toEqual([
      ['mcp', 'requestPayment', 'allowed', 900],
      ['mcp', 'getPayment', 'allowed', null],
      ['mcp', 'requestPayment', 'denied', 5000],
    ]);
    await client.close();
  });

  it('applies revocation and grant changes to a connected client on its next message', async () => {
    const agent = await createAgent({ disputes: 'write' });
    const client = await mcpClient(agent.key);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('acceptDispute');
    await updateAgent(agent.id, { grants: { disputes: 'read' } });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(['listDisputes', 'getDispute']);
    await admin(`/admin/agents/${agent.id}`, { method: 'DELETE' });
    await expect(client.listTools()).rejects.toThrow();
    // To the caller a revoked key looks like an unknown one; the key still names its agent, so the refusal
    // is recorded in that agent's chain, as its newest denial.
    const denied = (await (
      await admin(`/admin/audit?agent=${agent.id}&decision=denied&limit=1000`)
    ).json()) as {
      data: Array<Record<string, unknown>>;
    };
    expect(denied.data.at(-1)).toMatchObject({
      agent_id: agent.id,
      reason: 'agent_key_invalid',
      channel: 'mcp',
    });
  });
});
