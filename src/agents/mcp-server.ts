import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Context } from 'hono';
import type { CatalogEntry } from '../catalog';
import { type RunTool, registerAgentTools } from './mcp-tools';

/**
 * The MCP server half of `/agent/mcp`: everything that needs `@modelcontextprotocol/sdk`, `@hono/mcp`
 * and the tools' zod schemas. Loaded with `import()` on the first MCP request only (`mcp-routes.ts`), so
 * the Worker's cold start does not parse or run it. It holds no state of its own: the pipeline (`run`)
 * comes from the main module, so the isolate's rate gate and token cache stay one.
 */
export interface McpHost {
  /** The tools to register: the agent's granted ones, or every catalog tool for one `tools/call`. */
  entries: readonly CatalogEntry[];
  run: RunTool;
}

interface HttpError {
  getResponse(): Response;
}

function isHttpError(err: unknown): err is HttpError {
  return typeof err === 'object' && err !== null && typeof Reflect.get(err, 'getResponse') === 'function';
}

/** Answers one Streamable HTTP message with a fresh stateless server holding `host.entries`. */
export async function serveMcp(c: Context, parsed: unknown, host: McpHost): Promise<Response> {
  const server = new McpServer({ name: 'bollard-agent-gateway', version: '1.0.0' });
  registerAgentTools(server, host.entries, host.run);
  if (host.entries.length === 0) {
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
    const response = await transport.handleRequest(c, parsed);
    return response ?? c.body(null, 202);
  } catch (err) {
    // This module carries its own copy of Hono's HTTPException, which the app's error handler would not
    // recognise: render it here (e.g. 406 for a client that accepts neither JSON nor SSE).
    if (isHttpError(err)) return err.getResponse();
    throw err;
  }
}
