import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { CatalogEntry } from '../catalog';
import { type CallContext, type CallOutcome, executeAgentCall } from './call';
import { allowedEntries } from './policy';
import type { AuthenticatedAgent } from './registry-do';

const queryValue = z.union([z.string(), z.number(), z.boolean()]);

/** Path parameter names of a template: `/payments/{id}/captures` → `['id']`. */
function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/**
 * The tool's zod input: one string per path parameter, `query` for reads, and for writes the JSON
 * `body` as Checkout.com documents it plus an optional `idempotency_key` (sent as Cko-Idempotency-Key).
 */
export function toolInputShape(entry: CatalogEntry): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const name of pathParams(entry.path))
    shape[name] = z.string().min(1).describe(`The ${entry.actsOn} ${name} in ${entry.path}`);
  if (entry.method === 'GET')
    shape.query = z
      .record(z.string(), queryValue)
      .optional()
      .describe('Query parameters (e.g. limit, skip, filters)');
  if (entry.method === 'POST' || entry.method === 'PUT' || entry.method === 'PATCH') {
    shape.body = z
      .record(z.string(), z.unknown())
      .optional()
      .describe(`The JSON request body of Checkout.com's ${entry.method} ${entry.path}`);
    shape.idempotency_key = z.string().min(1).max(255).optional().describe('Sent as Cko-Idempotency-Key');
  }
  return shape;
}

/** Read-only for reads; destructive for money-moving writes and deletes (MCP defaults writes to destructive). */
export function toolAnnotations(entry: CatalogEntry): ToolAnnotations {
  const read = entry.access === 'read';
  return {
    title: `${entry.method} ${entry.path}`,
    readOnlyHint: read,
    destructiveHint: !read && (entry.movesMoney || entry.method === 'DELETE'),
    idempotentHint: entry.method === 'GET' || entry.method === 'PUT' || entry.method === 'DELETE',
    openWorldHint: true,
  };
}

export function toolDescription(entry: CatalogEntry): string {
  return `${entry.description} Checkout.com ${entry.method} ${entry.path}; needs the ${entry.access} grant on ${entry.area}.${entry.movesMoney ? ' Moves money.' : ''}`;
}

function result(outcome: CallOutcome): CallToolResult {
  if (outcome.kind === 'answered') {
    const { status, body } = outcome.response;
    return {
      content: [{ type: 'text', text: JSON.stringify({ status, body }) }],
      isError: status >= 400,
    };
  }
  return {
    content: [{ type: 'text', text: JSON.stringify({ status: outcome.status, body: outcome.error }) }],
    isError: true,
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Registers one tool per catalog entry the agent's grants allow — and no others, so an agent never sees
 * a tool it may not call. Each call runs the same check, forward and audit as `/agent/v1`.
 */
export function registerAgentTools(
  server: McpServer,
  agent: AuthenticatedAgent,
  ctx: () => CallContext,
): void {
  for (const entry of allowedEntries(agent.grants)) {
    const params = pathParams(entry.path);
    server.registerTool(
      entry.name,
      {
        title: `${entry.method} ${entry.path}`,
        description: toolDescription(entry),
        inputSchema: toolInputShape(entry),
        annotations: toolAnnotations(entry),
      },
      async (args: Record<string, unknown>) => {
        const pathValues: Record<string, string> = {};
        for (const p of params) pathValues[p] = str(args[p]) ?? '';
        const query: Record<string, string> = {};
        const q = args.query;
        if (q && typeof q === 'object') for (const [k, v] of Object.entries(q)) query[k] = String(v);
        const idempotencyKey = str(args.idempotency_key);
        const outcome = await executeAgentCall(ctx(), agent, {
          entry,
          params: pathValues,
          ...(Object.keys(query).length ? { query } : {}),
          ...(args.body !== undefined ? { body: args.body } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
        });
        return result(outcome);
      },
    );
  }
}
