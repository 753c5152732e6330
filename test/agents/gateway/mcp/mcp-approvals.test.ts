import { exports } from 'cloudflare:workers';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { approvalSettled, createApprovalAgent, decideAs } from '../../approval-helpers';
import { auditFor, BASE, cardPayment, mcpClient, paymentsWithReference, simRequests } from '../../helpers';

/**
 * Approvals over MCP (docs/agents.md, "Approvals"): the tool result of a held call names the approval,
 * `get_approval_status` reads it, the approved call runs once when called again with the key, and a client
 * that declared URL-mode elicitation gets the URL-elicitation-required error with the console's page.
 */

interface ToolPayload {
  status: number;
  body: Record<string, unknown> & { id?: string; error_codes?: string[]; message?: string };
  idempotency_key?: string;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text: string }>)[0]?.text ?? '';
  return { payload: JSON.parse(text) as ToolPayload, isError: result.isError === true };
}

/** An MCP client that declares URL-mode elicitation (MCP 2025-11-25). */
async function elicitingClient(key: string): Promise<Client> {
  const client = new Client(
    { name: 'bollard-test-elicitation', version: '1.0.0' },
    { capabilities: { elicitation: { url: {} } } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/agent/mcp`), {
    fetch: (url, init) => exports.default.fetch(url instanceof Request ? url : String(url), init),
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

function payment(amount: number): { body: Record<string, unknown>; reference: string } {
  const reference = `mcp-approval-${crypto.randomUUID().slice(0, 12)}`;
  return { body: { ...cardPayment(amount), reference }, reference };
}

describe('MCP: approvals', { timeout: 90_000 }, () => {
  it('names the approval in the tool error, reads its status, then runs once and replays', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, { at_or_over: { EUR: 50_000 } });
    const client = await mcpClient(agent.key);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('get_approval_status');

    const { body, reference } = payment(51_000);
    const before = await simRequests();
    const held = await callTool(client, 'requestPayment', { body });
    expect(held.isError).toBe(true);
    expect(await simRequests()).toBe(before);
    expect(held.payload.status).toBe(428);
    const approvalId = String(held.payload.body.approval_id);
    const key = held.payload.idempotency_key ?? '';
    expect(held.payload.body).toMatchObject({
      error_type: 'approval_required',
      error_codes: ['approval_required'],
      idempotency_key: key,
    });
    expect(approvalId).toMatch(/^apr_/);
    expect(typeof held.payload.body.expires_at).toBe('string');
    // The message speaks MCP: the argument to call again with, and the tool to read the status.
    expect(held.payload.body.message).toContain(`idempotency_key "${key}"`);
    expect(held.payload.body.message).toContain('get_approval_status');

    const status = await callTool(client, 'get_approval_status', { approval_id: approvalId });
    expect(status).toMatchObject({ isError: false, payload: { status: 200, body: { status: 'pending' } } });
    const unknown = await callTool(client, 'get_approval_status', { approval_id: 'apr_unknown' });
    expect(unknown).toMatchObject({ isError: true, payload: { status: 404 } });

    expect((await decideAs(approvalId, 'approve')).status).toBe(200);
    const ran = await callTool(client, 'requestPayment', { body, idempotency_key: key });
    expect(ran.payload).toMatchObject({ status: 201, idempotency_key: key });
    await approvalSettled(approvalId, 'executed');
    const beforeReplay = await simRequests();
    const replay = await callTool(client, 'requestPayment', { body, idempotency_key: key });
    expect(replay.payload.body.id).toBe(ran.payload.body.id);
    expect(await simRequests()).toBe(beforeReplay);
    expect(await paymentsWithReference(reference)).toHaveLength(1);
    const executed = await callTool(client, 'get_approval_status', { approval_id: approvalId });
    expect(executed.payload.body.status).toBe('executed');
    const records = await auditFor(agent.id);
    expect(records.filter((r) => r.channel === 'mcp').map((r) => r.reason)).toEqual(
      expect.arrayContaining(['approval_requested', 'approval_replayed']),
    );
    await client.close();
  });

  it('lists get_approval_status only for agents with an approval policy', async () => {
    const agent = await createApprovalAgent({ payments: 'read' }, null);
    const client = await mcpClient(agent.key);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('get_approval_status');
    await client.close();
  });

  it('sends a URL-mode elicitation with the console page to a client that declared it', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, { all_money_moving: true });
    const client = await elicitingClient(agent.key);
    let error: unknown = null;
    try {
      await client.callTool({ name: 'requestPayment', arguments: { body: payment(100).body } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(McpError);
    const mcpError = error as McpError;
    expect(mcpError.code).toBe(ErrorCode.UrlElicitationRequired);
    const { elicitations } = mcpError.data as {
      elicitations: Array<{ mode: string; elicitationId: string; url: string; message: string }>;
    };
    const [elicitation] = elicitations;
    expect(elicitation?.mode).toBe('url');
    expect(elicitation?.elicitationId).toMatch(/^apr_/);
    expect(elicitation?.url).toBe(`${BASE}/admin#/approvals/${elicitation?.elicitationId}`);
    // The error's message still names what to do with which key.
    expect(mcpError.message).toContain('idempotency_key');
    await client.close();

    // A client that did not declare it (the agent's next initialize) gets the plain tool result again.
    const plain = await mcpClient(agent.key);
    const held = await callTool(plain, 'requestPayment', { body: payment(100).body });
    expect(held).toMatchObject({ isError: true, payload: { status: 428 } });
    await plain.close();
  });
});
