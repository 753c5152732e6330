import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auditFor,
  cardPayment,
  createAgent,
  type EnvOverrides,
  mcpClient,
  paymentsWithReference,
  simFaults,
} from '../../helpers';

const SHORT: EnvOverrides = { AGENT_UPSTREAM_DEADLINE_MS: '1200', UPSTREAM_ATTEMPT_TIMEOUT_MS: '600' };

interface ToolPayload {
  status: number;
  body: { id?: string; error_type?: string; error_codes?: string[]; message?: string };
  idempotency_key?: string;
}

async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ payload: ToolPayload; text: string; isError: boolean; structured: unknown }> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text: string }>)[0]?.text ?? '';
  return {
    payload: JSON.parse(text) as ToolPayload,
    text,
    isError: result.isError === true,
    structured: result.structuredContent,
  };
}

function payment(amount: number): { body: Record<string, unknown>; reference: string } {
  const reference = `mcp-outcome-${crypto.randomUUID().slice(0, 12)}`;
  return { body: { ...cardPayment(amount), reference }, reference };
}

afterEach(async () => {
  await simFaults(null);
});

describe('MCP: idempotency keys and unknown outcomes', { timeout: 60_000 }, () => {
  it('sends the idempotency_key argument as the key and returns the key used, generated ones too', async () => {
    const agent = await createAgent({ payments: 'write' });
    const client = await mcpClient(agent.key);
    const key = `mcp-${crypto.randomUUID()}`;
    const { body, reference } = payment(410);
    const first = await callTool(client, 'requestPayment', { body, idempotency_key: key });
    expect(first.isError).toBe(false);
    expect(first.payload).toMatchObject({ status: 201, idempotency_key: key });
    expect(first.structured).toEqual(first.payload);
    const again = await callTool(client, 'requestPayment', { body, idempotency_key: key });
    expect(again.payload.body.id).toBe(first.payload.body.id);
    expect(await paymentsWithReference(reference)).toHaveLength(1);

    const generated = await callTool(client, 'requestPayment', { body: payment(420).body });
    expect(generated.payload.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    const read = await callTool(client, 'getPayment', { id: first.payload.body.id });
    expect(read.payload.idempotency_key).toBeUndefined();
    const records = await auditFor(agent.id);
    expect(records.map((r) => r.idempotency_key)).toEqual([
      key,
      key,
      generated.payload.idempotency_key,
      null,
    ]);
    await client.close();
  });

  it('refuses an idempotency_key that is not visible ASCII, naming the argument', async () => {
    const agent = await createAgent({ payments: 'write' });
    const client = await mcpClient(agent.key);
    const refused = await callTool(client, 'requestPayment', {
      body: cardPayment(100),
      idempotency_key: 'not a key',
    });
    expect(refused.isError).toBe(true);
    expect(refused.payload).toMatchObject({
      status: 422,
      body: { error_codes: ['idempotency_key_invalid'] },
    });
    expect(refused.payload.body.message).toContain('idempotency_key argument');
    await client.close();
  });

  it('makes an unknown outcome a tool error that gives the key; calling again with it returns the original payment', async () => {
    const agent = await createAgent({ payments: 'write' });
    const { body, reference } = payment(430);
    await simFaults({ routes: { 'POST /payments': { latency_ms: 3_000 } } });
    const stalled = await mcpClient(agent.key, SHORT);
    const unknown = await callTool(stalled, 'requestPayment', { body });
    expect(unknown.isError).toBe(true);
    const key = unknown.payload.idempotency_key;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(unknown.payload).toMatchObject({
      status: 504,
      body: { error_type: 'upstream_outcome_unknown', error_codes: ['upstream_outcome_unknown'] },
    });
    expect(unknown.payload.body.message).toContain('unknown');
    expect(unknown.payload.body.message).toContain(`idempotency_key "${key}"`);
    await stalled.close();

    await simFaults(null);
    const client = await mcpClient(agent.key);
    // No wait for the stalled attempt: the client waits out upstream's "key in use" inside its deadline.
    const retry = await callTool(client, 'requestPayment', { body, idempotency_key: key });
    expect(retry.payload).toMatchObject({ status: 201, idempotency_key: key });
    expect((await paymentsWithReference(reference)).map((p) => p.id)).toEqual([retry.payload.body.id]);
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.channel, r.decision, r.reason, r.idempotency_key])).toEqual([
      ['mcp', 'failed', 'outcome_unknown', key],
      ['mcp', 'allowed', 'allowed', key],
    ]);
    await client.close();
  });
});
