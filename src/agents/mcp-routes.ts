import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Hono } from 'hono';
import { entryByName } from '../catalog';
import type { AppEnv } from '../http';
import { authenticateAgent } from './authenticate';
import { type CallContext, entryFields, record } from './call';
import { callContext } from './gateway-routes';
import { registerAgentTools } from './mcp-tools';
import { allowedEntries, grantAllows } from './policy';
import type { AuthenticatedAgent } from './registry-do';

export const MCP_PATH = '/agent/mcp';

interface JsonRpcMessage {
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * A `tools/call` for a catalog tool the agent was not granted never reaches a handler (the SDK answers
 * "tool not found", as the tool is not listed), so it is recorded here, before the transport runs.
 */
async function recordHiddenToolCalls(
  ctx: CallContext,
  agent: AuthenticatedAgent,
  parsed: unknown,
): Promise<void> {
  const messages = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcMessage[];
  for (const m of messages) {
    if (m?.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
    const entry = entryByName(m.params.name);
    if (!entry || grantAllows(agent.grants, entry)) continue;
    await record(ctx, {
      agent_id: agent.id,
      agent_name: agent.name,
      method: entry.method,
      ...entryFields(entry),
      decision: 'denied',
      reason: 'grant_required',
      upstream_status: null,
      upstream_request_id: null,
      idempotency_key: null,
      amount: null,
      currency: null,
    });
  }
}

/**
 * `/agent/mcp`: a stateless Streamable HTTP MCP server. Every HTTP request authenticates the agent key
 * afresh and builds a server holding only that agent's tools, so a grant change or revocation applies to
 * the next message, and no session state has to live in one isolate.
 */
export function mountMcp(app: Hono<AppEnv>): void {
  app.all(MCP_PATH, async (c) => {
    const ctx = callContext(c, 'mcp');
    const auth = await authenticateAgent(ctx, c.req.header('authorization'), c.req.method.toUpperCase());
    if (!auth.ok) return auth.response;
    ctx.upstreamScopes = auth.upstreamScopes;
    let parsed: unknown;
    if (c.req.method === 'POST') {
      try {
        parsed = await c.req.json();
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined) await recordHiddenToolCalls(ctx, auth.agent, parsed);
    }
    const server = new McpServer({ name: 'bollard-agent-gateway', version: '1.0.0' });
    // Each tool call gets its own start time, so latency in the audit record is the call's own.
    registerAgentTools(server, auth.agent, () => ({ ...ctx, startedMs: Date.now() }));
    if (allowedEntries(auth.agent.grants).length === 0) {
      // McpServer only answers tools/list once a tool exists; an agent with no grants gets an empty list.
      server.server.registerCapabilities({ tools: { listChanged: false } });
      server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
      server.server.setRequestHandler(CallToolRequestSchema, (request) => {
        throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
      });
    }
    const transport = new StreamableHTTPTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    const response = await transport.handleRequest(c, parsed);
    return response ?? c.body(null, 202);
  });
}
