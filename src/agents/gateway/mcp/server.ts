import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  JSONRPCMessageSchema,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Context } from 'hono';
import type { CatalogEntry } from '../../../catalog';
import {
  type ReadApproval,
  type RunTool,
  registerAgentTools,
  registerApprovalStatusTool,
  type SealTool,
} from './tools';

/**
 * The MCP server half of `/agent/mcp`: everything that needs `@modelcontextprotocol/sdk`, `@hono/mcp`
 * and the tools' zod schemas. Loaded with `import()` on the first MCP request only (`routes.ts`), so
 * the Worker's cold start does not parse or run it. It holds no state of its own: the pipeline (`run`)
 * comes from the main module, so the isolate's rate gate and token cache stay one.
 */
export interface McpHost {
  /** The tools to register: the agent's granted ones, or every catalog tool for one `tools/call`. */
  entries: readonly CatalogEntry[];
  run: RunTool;
  /** Signs each tool result's receipt (its `_meta`), with the main module's key. */
  seal?: SealTool;
  /** Approvals: `get_approval_status`, registered when given (agents with a policy, and single tool calls). */
  readApproval?: ReadApproval;
}

/** A POST body as `routes.ts` read it: parsed JSON, or not JSON at all. */
export type McpBody = { kind: 'json'; value: unknown } | { kind: 'unparsable' };

/**
 * A JSON-RPC error answered for the whole HTTP message (`id: null`: no request id can be trusted from a
 * message that is not one), with HTTP 400 (Streamable HTTP: a message the server does not accept gets an HTTP
 * error status, with a JSON-RPC error that has no id). Nothing from the request is echoed.
 */
function protocolError(code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status: 400 });
}

/**
 * Refuses a POST body that is not a JSON-RPC message before the transport sees it: the SDK transport
 * answers both cases as a parse error, with the parser's or the schema's text (which quotes the body) as
 * `data`, and takes `[]` as a batch of nothing (202). JSON-RPC 2.0 §5 and §6: not JSON is -32700; JSON
 * that is not a request, notification or response is -32600, and so is an empty batch. A batch with any
 * invalid entry is refused whole: the transport's POST body must be one message or a batch of messages,
 * and a refused message must have done nothing (docs/agents.md, "MCP").
 */
function invalidMessage(body: McpBody): Response | null {
  if (body.kind === 'unparsable')
    return protocolError(ErrorCode.ParseError, 'Parse error: the body is not JSON');
  const value = body.value;
  if (Array.isArray(value)) {
    if (value.length === 0) return protocolError(ErrorCode.InvalidRequest, 'Invalid Request: an empty batch');
    const bad = value.findIndex((m) => !JSONRPCMessageSchema.safeParse(m).success);
    if (bad !== -1)
      return protocolError(
        ErrorCode.InvalidRequest,
        `Invalid Request: batch entry ${bad} is not a JSON-RPC 2.0 message`,
      );
    return null;
  }
  if (!JSONRPCMessageSchema.safeParse(value).success)
    return protocolError(ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message');
  return null;
}

interface HttpError {
  getResponse(): Response;
}

function isHttpError(err: unknown): err is HttpError {
  return typeof err === 'object' && err !== null && typeof Reflect.get(err, 'getResponse') === 'function';
}

/**
 * Answers one Streamable HTTP POST with a fresh stateless server holding `host.entries`. A body that is
 * not a JSON-RPC message is refused first (`invalidMessage`), whatever its media type: what is wrong is
 * the body. A JSON-RPC message with another media type than JSON is the transport's 415.
 */
export async function serveMcp(c: Context, body: McpBody, host: McpHost): Promise<Response> {
  const refused = invalidMessage(body);
  if (refused) return refused;
  const server = new McpServer({ name: 'bollard-agent-gateway', version: '1.0.0' });
  registerAgentTools(server, host.entries, host.run, host.seal);
  if (host.readApproval) registerApprovalStatusTool(server, host.readApproval);
  if (host.entries.length === 0 && !host.readApproval) {
    // McpServer only answers tools/list once a tool exists; an agent with no grants gets an empty list.
    server.server.registerCapabilities({ tools: { listChanged: false } });
    server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    server.server.setRequestHandler(CallToolRequestSchema, (request) => {
      throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
    });
  }
  const transport = new StreamableHTTPTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    const response = await transport.handleRequest(c, body.kind === 'json' ? body.value : null);
    // Only notifications or responses: 202 with no body (the transport writes `null`).
    if (!response || response.status === 202) return new Response(null, { status: 202 });
    return response;
  } catch (err) {
    // This module carries its own copy of Hono's HTTPException, which the app's error handler would not
    // recognise: render it here (e.g. 406 for a client that accepts neither JSON nor SSE).
    if (isHttpError(err)) return err.getResponse();
    throw err;
  }
}
