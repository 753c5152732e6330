import type { Hono } from 'hono';
import { CATALOG, type CatalogEntry, entryByName } from '../../../catalog';
import type { AppEnv } from '../../../http';
import { withObjectDeadline } from '../../model/deadlines';
import { hashAgentKey, type PresentedKey, presentedKey } from '../../model/keys';
import { allowedEntries } from '../../model/policy';
import type { AuthenticateResult } from '../../objects/agent/rpc';
import { agentObject } from '../../objects/stubs';
import { RECEIPT_META_KEY, receiptForAnswer, toolTarget } from '../../proof/receipts';
import { recordAnonymous } from '../audit-writes';
import { type CallContext, type CallOutcome, errorBody, errorResponse, outcomeMeta } from '../call';
import { executeAgentCall } from '../execute';
import { callContext } from '../routes';
import type { McpBody, McpHost } from './server';

export const MCP_PATH = '/agent/mcp';

/** Largest MCP message accepted, as on the REST gateway. */
const MAX_BODY_BYTES = 1_000_000;

/**
 * Where the MCP server module is in the deployed Worker: wrangler uploads `workers/bollard/.build/
 * agent-mcp.mjs` (built by `build-mcp-chunk.mjs` beside this file, the `[build]` command) as an additional
 * module beside the main one (`find_additional_modules`, docs/agents.md "Cold start"). A specifier in a
 * variable is left alone by the bundler, so the main module does not contain the MCP SDK.
 */
const DEPLOYED_MODULE = './.build/agent-mcp.mjs';
/** The same module from source, where the code runs unbundled (the vitest pool). */
const SOURCE_MODULE = './server.ts';

type McpModule = typeof import('./server');
let loading: Promise<McpModule> | null = null;

/** Loads the MCP server module once per isolate, on the first MCP request. */
export function loadMcpModule(): Promise<McpModule> {
  loading ??= (import(/* @vite-ignore */ DEPLOYED_MODULE) as Promise<McpModule>).catch(
    () => import(/* @vite-ignore */ SOURCE_MODULE) as Promise<McpModule>,
  );
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

interface JsonRpcMessage {
  method?: unknown;
  params?: { name?: unknown };
}

/** The catalog tool of a message that is one `tools/call` (not a batch), else null. */
function singleToolCall(parsed: unknown): CatalogEntry | null {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const m = parsed as JsonRpcMessage;
  if (m.method !== 'tools/call' || typeof m.params?.name !== 'string') return null;
  return entryByName(m.params.name) ?? null;
}

function unauthenticatedResponse(ctx: CallContext, reason: string): Response {
  const messages: Record<string, string> = {
    agent_key_missing: 'an agent key is required (Authorization: Bearer <agent key>)',
    agent_key_invalid: 'the agent key is not valid',
    agent_key_expired: 'the agent key has expired',
  };
  return errorResponse(401, errorBody(ctx.requestId, 'unauthorized', [reason], messages[reason]), {
    'www-authenticate': 'Bearer realm="bollard-agents"',
  });
}

/** JSON-RPC errors for the whole HTTP message (`protocolError` in server.ts, without loading it). */
function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status, headers });
}

const methodNotAllowed = () =>
  rpcError(405, -32000, 'Method not allowed: this stateless server takes POST only', { allow: 'POST' });
const payloadTooLarge = () =>
  rpcError(413, -32600, `Invalid Request: the body is larger than ${MAX_BODY_BYTES} bytes`);

/** One round trip: who is this key? Failures are recorded (by the object, or in `anonymous`). */
async function authenticate(
  ctx: CallContext,
  presented: Extract<PresentedKey, { kind: 'key' }>,
  method: string,
): Promise<AuthenticateResult> {
  const result = await withObjectDeadline<AuthenticateResult>(
    agentObject(ctx.env, presented.agentId).authenticate(await hashAgentKey(presented.key), {
      requestId: ctx.requestId,
      channel: ctx.channel,
      atMs: ctx.startedMs,
      method,
      source: ctx.source,
    }),
    "the agent's state",
  );
  if (result.kind === 'unknown_agent') await recordAnonymous(ctx, { method, reason: 'agent_key_invalid' });
  else ctx.identify(presented.agentId);
  return result;
}

/**
 * `/agent/mcp`: a stateless Streamable HTTP MCP server. A single `tools/call` is one round trip to the
 * agent's object, made by the tool's pipeline (`begin`: authenticate, grant, limits, start record), with
 * every catalog tool registered so that the pipeline, not the SDK, decides; any other message
 * (initialize, tools/list) authenticates first and sees only the agent's granted tools. A grant change or
 * revocation applies to the next message, and no session state lives in one isolate.
 */
export function mountMcp(app: Hono<AppEnv>): void {
  app.all(MCP_PATH, async (c) => {
    const ctx = callContext(c, 'mcp');
    const method = c.req.method.toUpperCase();
    const presented = presentedKey(c.req.header('authorization'));
    if (presented.kind !== 'key') {
      const reason = presented.kind === 'missing' ? 'agent_key_missing' : 'agent_key_invalid';
      await recordAnonymous(ctx, { method, reason });
      return unauthenticatedResponse(ctx, reason);
    }
    let body: McpBody = { kind: 'unparsable' };
    let tooLarge = false;
    if (method === 'POST') {
      const text = await c.req.text();
      tooLarge = text.length > MAX_BODY_BYTES;
      try {
        if (!tooLarge) body = { kind: 'json', value: JSON.parse(text) as unknown };
      } catch {
        // not JSON: a parse error, answered once the key is known good
      }
    }

    const tool = body.kind === 'json' ? singleToolCall(body.value) : null;
    let entries: readonly CatalogEntry[] = CATALOG;
    if (!tool) {
      const auth = await authenticate(ctx, presented, method);
      if (auth.kind !== 'ok')
        return unauthenticatedResponse(
          ctx,
          auth.kind === 'unknown_agent' ? 'agent_key_invalid' : auth.reason,
        );
      entries = allowedEntries(auth.agent.grants);
    }
    // Stateless: no stream to open (GET) and no session to end (DELETE). The transport would hold a GET
    // open as an SSE stream nothing is ever sent on; Streamable HTTP lets a server answer 405 instead.
    if (method !== 'POST') return methodNotAllowed();
    if (tooLarge) return payloadTooLarge();
    let refusedKey: CallOutcome | null = null;
    let ran = false;
    const host: McpHost = {
      entries,
      run: async (entry, call) => {
        ran = true;
        // Each tool call gets its own start time, so latency in the audit record is the call's own.
        const outcome = await executeAgentCall({ ...ctx, startedMs: Date.now() }, presented, {
          method: entry.method,
          entry,
          ...call,
        });
        if (outcome.kind === 'refused' && outcome.status === 401) refusedKey = outcome;
        return outcome;
      },
      // The receipt (docs/agents.md, "Proving what an agent did") covers the result's text as sent.
      seal: async (entry, call, outcome, status, resultText) => {
        const meta = outcomeMeta(outcome);
        const receipt = await receiptForAnswer(c.env, ctx.log, {
          proof: outcome.proof,
          requestId: ctx.requestId,
          channel: 'mcp',
          entry,
          httpMethod: entry.method,
          target: toolTarget(entry.path, call.params, call.query),
          idempotencyKey: meta.idempotencyKey,
          upstreamRequestId: meta.upstreamRequestId,
          status,
          requestBody: call.body === undefined ? '' : JSON.stringify(call.body),
          responseBody: resultText,
        });
        return receipt === null ? null : { key: RECEIPT_META_KEY, receipt };
      },
    };
    const { serveMcp } = await loadMcpModule();
    const response = await serveMcp(c, body, host);
    const refused = refusedKey as CallOutcome | null;
    if (refused !== null && refused.kind === 'refused') return unauthenticatedResponse(ctx, refused.reason);
    if (tool && !ran) {
      // The SDK answered without running the tool (its arguments did not validate): the key was never
      // checked, and an unknown caller must not learn more than a 401.
      const auth = await authenticate(ctx, presented, method);
      if (auth.kind !== 'ok')
        return unauthenticatedResponse(
          ctx,
          auth.kind === 'unknown_agent' ? 'agent_key_invalid' : auth.reason,
        );
    }
    return response;
  });
}
