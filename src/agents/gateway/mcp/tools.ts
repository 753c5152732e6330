import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { CatalogEntry } from '../../../catalog';
import { generatesKey } from '../../model/idempotency';
import type { ApprovalStatusRead } from '../approval-status';
import { type CallOutcome, outcomeMeta } from '../call';

const queryValue = z.union([z.string(), z.number(), z.boolean()]);

/** Path parameter names of a template: `/payments/{id}/captures` → `['id']`. */
function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/**
 * What the path segment before a parameter names. The parameter is that resource's id, whatever the call
 * acts on: `/payments/{id}/actions` takes a payment id, not an action's; `/balances/{id}` an entity's.
 */
const SEGMENT_NOUNS: Readonly<Record<string, string>> = {
  payments: 'payment',
  'payment-links': 'payment link',
  instruments: 'instrument',
  customers: 'customer',
  disputes: 'dispute',
  transfers: 'transfer',
  balances: 'entity',
  workflows: 'workflow',
};

/** `The payment id in /payments/{id}/actions`. */
function pathParamDescription(path: string, name: string): string {
  const segments = path.split('/');
  const at = segments.indexOf(`{${name}}`);
  const segment = at > 0 ? (segments[at - 1] ?? '') : '';
  return `The ${SEGMENT_NOUNS[segment] ?? segment} ${name} in ${path}`;
}

function idempotencyKeyDescription(entry: CatalogEntry): string {
  const sent = 'Sent as Cko-Idempotency-Key: 1-255 visible ASCII characters, one key per logical call.';
  return generatesKey(entry)
    ? `${sent} Bollard generates one when absent; the result carries the key used. If the outcome is unknown, call again with that key and the same arguments: you get the original outcome, never a second effect.`
    : sent;
}

/**
 * The tool's zod input: one string per path parameter, `query` for reads, and for writes the JSON
 * `body` as Checkout.com documents it plus an optional `idempotency_key` (sent as Cko-Idempotency-Key;
 * its characters are checked by the pipeline, so a bad key is refused and audited like on REST).
 */
export function toolInputShape(entry: CatalogEntry): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const name of pathParams(entry.path))
    shape[name] = z.string().min(1).describe(pathParamDescription(entry.path, name));
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
    shape.idempotency_key = z.string().min(1).max(255).optional().describe(idempotencyKeyDescription(entry));
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

/**
 * The tool result: `{ status, body, idempotency_key? }` as JSON text and as structured content. An unknown
 * outcome is a tool error whose message says so and names the key to call again with; the REST message
 * points at a response header an MCP client never sees.
 */
function toolResult(entry: CatalogEntry, outcome: CallOutcome): CallToolResult {
  const key = outcomeMeta(outcome).idempotencyKey;
  if (outcome.kind === 'refused' && outcome.status === 428 && outcome.approval?.urlElicitation)
    throw approvalElicitation(entry, outcome.approval, outcome.error.message ?? '');
  let status: number;
  let body: unknown;
  if (outcome.kind === 'answered') {
    status = outcome.response.status;
    body = outcome.response.body;
  } else {
    status = outcome.status;
    body =
      outcome.kind === 'failed' && outcome.unknown && key !== null
        ? { ...outcome.error, message: unknownOutcomeText(entry, key) }
        : outcome.error;
  }
  const payload: Record<string, unknown> = { status, body };
  if (key !== null) payload.idempotency_key = key;
  return {
    content: [{ type: 'text', text: JSON.stringify(payload) }],
    structuredContent: payload,
    isError: outcome.kind !== 'answered' || status >= 400,
  };
}

/**
 * Approvals, for a client that declared URL-mode elicitation (MCP 2025-11-25): the tool call is answered
 * with the URL-elicitation-required error (-32042) naming the console's page for the approval, which the
 * client shows its user; the message names the approval, its expiry and the key to call again with. The
 * server is stateless (JSON responses, no stream), so it cannot send an `elicitation/create` request
 * mid-call: this error is the spec's way to ask for one without a stream. Other clients get the plain tool
 * error result.
 */
function approvalElicitation(
  entry: CatalogEntry,
  approval: NonNullable<Extract<CallOutcome, { kind: 'refused' }>['approval']>,
  message: string,
): McpError {
  return new McpError(ErrorCode.UrlElicitationRequired, message, {
    elicitations: [
      {
        mode: 'url',
        elicitationId: approval.approval_id,
        url: approval.console_url,
        message: `A person must approve ${entry.name} (approval ${approval.approval_id}) in Bollard's console before it runs.`,
      },
    ],
    approval_id: approval.approval_id,
    expires_at: approval.expires_at,
    idempotency_key: approval.idempotency_key,
  });
}

function unknownOutcomeText(entry: CatalogEntry, key: string): string {
  return `the outcome of ${entry.name} is unknown: Checkout.com may or may not have acted. Call ${entry.name} again with the same arguments and idempotency_key "${key}" to get the original outcome (it never acts twice), or read the ${entry.actsOn}.`;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** One tool call's arguments, mapped to a catalog call. */
export interface ToolCall {
  params: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  idempotencyKey?: string;
}

/** The tool every agent with an approval policy lists: the status of one of its approvals. */
export const APPROVAL_STATUS_TOOL = 'get_approval_status';

/** Reads an approval's status through the host (one round trip, which checks the key). */
export type ReadApproval = (approvalId: string) => Promise<ApprovalStatusRead>;

/**
 * `get_approval_status`: the agent's own approval, as `GET /agent/v1/approvals/{id}` shows it, as
 * `{ status, body }`; another agent's or an unknown id is a tool error 404.
 */
export function registerApprovalStatusTool(server: McpServer, read: ReadApproval): void {
  server.registerTool(
    APPROVAL_STATUS_TOOL,
    {
      title: 'Approval status',
      description:
        "The status of one of this agent's approvals (pending, approved, declined, expired, executed), its expiry and the idempotency key to call again with once approved.",
      inputSchema: {
        approval_id: z.string().min(1).max(100).describe('The approval id (apr_…) a call named'),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args: Record<string, unknown>) => {
      const result = await read(str(args.approval_id) ?? '');
      const payload =
        result.kind === 'found'
          ? { status: 200, body: result.approval }
          : result.kind === 'not_found'
            ? { status: 404, body: { error_type: 'not_found', error_codes: ['approval_not_found'] } }
            : { status: 401, body: { error_type: 'unauthorized', error_codes: [result.reason] } };
      return {
        content: [{ type: 'text', text: JSON.stringify(payload) }],
        structuredContent: payload,
        isError: payload.status !== 200,
      };
    },
  );
}

/** Runs a tool call through the same pipeline as `/agent/v1` (the host's, in the main module). */
export type RunTool = (entry: CatalogEntry, call: ToolCall) => Promise<CallOutcome>;

/**
 * Signs a tool call's receipt over the result's text content exactly as sent (the host's, in the main
 * module, which holds the key); null when the call has none. It goes in the result's `_meta`.
 */
export type SealTool = (
  entry: CatalogEntry,
  call: ToolCall,
  outcome: CallOutcome,
  status: number,
  resultText: string,
) => Promise<{ key: string; receipt: string } | null>;

/**
 * Registers one tool per given catalog entry: the agent's granted ones for a listing (so an agent never
 * sees a tool it may not call), or every catalog tool for a single `tools/call`, whose grant the
 * pipeline checks in its one round trip. Each call runs the same check, forward and audit as `/agent/v1`.
 */
export function registerAgentTools(
  server: McpServer,
  entries: readonly CatalogEntry[],
  run: RunTool,
  seal?: SealTool,
): void {
  for (const entry of entries) {
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
        const call: ToolCall = {
          params: pathValues,
          ...(Object.keys(query).length ? { query } : {}),
          ...(args.body !== undefined ? { body: args.body } : {}),
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        };
        const outcome = await run(entry, call);
        const result = toolResult(entry, outcome);
        const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
        const status = (result.structuredContent as { status: number }).status;
        const sealed = await seal?.(entry, call, outcome, status, text);
        return sealed ? { ...result, _meta: { [sealed.key]: sealed.receipt } } : result;
      },
    );
  }
}
