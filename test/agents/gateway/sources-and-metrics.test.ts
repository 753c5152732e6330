import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app';
import { DATA_POINT_LAYOUT } from '../../../src/metrics/data-point';
import { admin, BASE, createAgent } from '../helpers';

/**
 * Issue 21 (3, 4): a wrong secret on MCP is counted under the caller's address like on /agent/v1, and
 * every agent request's metrics data point names the agent once its object has recognised it — allowed
 * and refused alike — but never an agent id merely claimed by an unknown key.
 */

const AGENT_ID_SLOT = DATA_POINT_LAYOUT.blobs.indexOf('agent_id');

function appWithRecorder() {
  const points: AnalyticsEngineDataPoint[] = [];
  const app = createApp();
  const metricsEnv = {
    ...env,
    METRICS: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => p && points.push(p) },
  } as Env;
  const send = async (path: string, init: RequestInit, source: string) => {
    const headers = new Headers(init.headers);
    headers.set('cf-connecting-ip', source);
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), metricsEnv);
    await res.arrayBuffer();
    return res.status;
  };
  const agentIds = () => points.map((p) => p.blobs?.[AGENT_ID_SLOT]);
  return { send, agentIds };
}

const mcpInit = (key: string, id = 1): RequestInit => ({
  method: 'POST',
  headers: {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  }),
});

const toolsList = (key: string): RequestInit => ({
  ...mcpInit(key),
  body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
});

describe('agents: bad-key sources on MCP, and the agent id in metrics', () => {
  it('counts a wrong secret on MCP initialize and tools/list under the caller’s address, not unknown', async () => {
    const agent = await createAgent({ payments: 'read' });
    const wrong = `bak_${agent.id.slice(4)}_${'a'.repeat(40)}`;
    const { send } = appWithRecorder();
    expect(await send('/agent/mcp', mcpInit(wrong), '198.51.100.77')).toBe(401);
    expect(await send('/agent/mcp', toolsList(wrong), '198.51.100.77')).toBe(401);
    // Reading the audit closes the open minute; the attempts entry names the source.
    const res = await admin(`/admin/audit?agent=${agent.id}&limit=100`);
    const records = ((await res.json()) as { data: Array<Record<string, unknown>> }).data;
    const attempts = records.filter((r) => r.reason === 'agent_key_invalid');
    expect(attempts.reduce((n, r) => n + Number(r.attempts), 0)).toBe(2);
    expect(new Set(attempts.map((r) => r.source))).toEqual(new Set(['198.51.100.77']));
  });

  it('fills the agent id slot on REST and MCP, for allowed and refused calls, and never for an unknown agent', async () => {
    const agent = await createAgent({ payments: 'read' });
    const { send, agentIds } = appWithRecorder();
    const bearer = { authorization: `Bearer ${agent.key}` };
    // REST allowed (a read: 404 from upstream is an answer), REST refused by grant, MCP initialize.
    expect(
      await send('/agent/v1/payments/pay_abcdefghijklmnopqrstuvwxyz', { headers: bearer }, '192.0.2.1'),
    ).toBe(404);
    expect(
      await send(
        '/agent/v1/payments',
        { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' },
        '192.0.2.1',
      ),
    ).toBe(403);
    expect(await send('/agent/mcp', mcpInit(agent.key), '192.0.2.1')).toBe(200);
    // A wrong secret naming the agent is the agent's refusal; a key naming no agent is nobody's.
    expect(
      await send(
        '/agent/v1/payments/pay_x',
        { headers: { authorization: `Bearer bak_${agent.id.slice(4)}_${'b'.repeat(40)}` } },
        '192.0.2.1',
      ),
    ).toBe(401);
    const stranger = `bak_${'a'.repeat(26)}_${'c'.repeat(40)}`;
    expect(
      await send(
        '/agent/v1/payments/pay_x',
        { headers: { authorization: `Bearer ${stranger}` } },
        '192.0.2.1',
      ),
    ).toBe(401);
    expect(agentIds()).toEqual([agent.id, agent.id, agent.id, agent.id, '']);
  });
});
