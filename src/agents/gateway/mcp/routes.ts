import type { Hono } from 'hono';
import { CATALOG, type CatalogEntry, entryByName } from '../../../catalog';
import type { AppEnv } from '../../../http';
import { lazyModule } from '../../../http/lazy-module';
import { withObjectDeadline } from '../../model/deadlines';
import { hashAgentKey, type PresentedKey, presentedKey } from '../../model/keys';
import { allowedEntries } from '../../model/policy';
import type { AuthenticateResult, McpClientFacts } from '../../objects/agent/rpc';
import { agentObject } from '../../objects/stubs';
import { RECEIPT_META_KEY, receiptForAnswer, toolTarget } from '../../proof/receipts';
import { readApprovalStatus } from '../approval-status';
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
 * agent-mcp.mjs` (built by `scripts/build-chunks.mjs`, the `[build]` command) as an additional
 * module beside the main one (`find_additional_modules`, docs/agents.md "Cold start"). A specifier in a
 * variable is left alone by the bundler, so the main module does not contain the MCP SDK.
 */
const DEPLOYED_MODULE = './.build/agent-mcp.mjs';
/** The same module from source, where the code runs unbundled (the vitest pool). */
const SOURCE_MODULE = './server.ts';

type McpModule = typeof import('./server');

/** Loads the MCP server module once per isolate, on the first MCP request. */
export const loadMcpModule = lazyModule<McpModule>(
  () => import(/* @vite-ignore */ DEPLOYED_MODULE),
  () => import(/* @vite-ignore */ SOURCE_MODULE),
);

interface JsonRpcMessage {
  method?: unknown;
  params?: { name?: unknown; capabilities?: { elicitation?: { url?: unknown } } };
}

/** The tool that reads an approval's status (tools.ts; named here without loading the MCP module). */
const APPROVAL_STATUS_TOOL = 'get_approval_status';

/** A message that is one `tools/call` of `get_approval_status`: like a catalog tool, its run checks the key. */
function singleStatusCall(parsed: unknown): boolean {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const m = parsed as JsonRpcMessage;
  return m.method === 'tools/call' && m.params?.name === APPROVAL_STATUS_TOOL;
}

/**
 * What an `initialize` declares that later tool calls need (the server is stateless, so the agent's object
 * remembers it): URL-mode elicitation, for approvals. Null for any other message.
 */
function initializeFacts(parsed: unknown): McpClientFacts | null {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const m = parsed as JsonRpcMessage;
  if (m.method !== 'initialize') return null;
  const url = m.params?.capabilities?.elicitation?.url;
  return { urlElicitation: typeof url === 'object' && url !== null };
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

/** A refused key as a call outcome, so a status read's 401 answers the whole message like a tool call's. */
function unauthenticatedOutcome(
  ctx: CallContext,
  reason: 'agent_key_missing' | 'agent_key_invalid' | 'agent_key_expired',
): CallOutcome {
  return {
    kind: 'refused',
    status: 401,
    reason,
    error: errorBody(ctx.requestId, 'unauthorized', [reason]),
    idempotencyKey: null,
    upstreamRequestId: null,
  };
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
  mcp?: McpClientFacts,
): Promise<AuthenticateResult> {
  const stub = agentObject(ctx.env, presented.agentId);
  const keyHash = await hashAgentKey(presented.key);
  const meta = {
    requestId: ctx.requestId,
    channel: ctx.channel,
    atMs: ctx.startedMs,
    method,
    source: ctx.source,
  };
  const result = await withObjectDeadline<AuthenticateResult>(
    mcp ? stub.authenticate(keyHash, meta, mcp) : stub.authenticate(keyHash, meta),
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
    const statusCall = body.kind === 'json' && singleStatusCall(body.value);
    let entries: readonly CatalogEntry[] = CATALOG;
    // Approvals: `get_approval_status` is listed for agents with a policy, and runnable in a single call.
    let withStatusTool = statusCall || tool !== null;
    if (!tool && !statusCall) {
      const facts = body.kind === 'json' ? initializeFacts(body.value) : null;
      const auth = await authenticate(ctx, presented, method, facts ?? undefined);
      if (auth.kind !== 'ok')
        return unauthenticatedResponse(
          ctx,
          auth.kind === 'unknown_agent' ? 'agent_key_invalid' : auth.reason,
        );
      entries = allowedEntries(auth.agent.grants);
      withStatusTool = auth.agent.approval !== null;
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
      ...(withStatusTool
        ? {
            readApproval: async (approvalId: string) => {
              ran = true;
              const read = await readApprovalStatus({ ...ctx, startedMs: Date.now() }, presented, approvalId);
              if (read.kind === 'unauthenticated') refusedKey = unauthenticatedOutcome(ctx, read.reason);
              return read;
            },
          }
        : {}),
    };
    const { serveMcp } = await loadMcpModule();
    const response = await serveMcp(c, body, host);
    const refused = refusedKey as CallOutcome | null;
    if (refused !== null && refused.kind === 'refused') return unauthenticatedResponse(ctx, refused.reason);
    if ((tool || statusCall) && !ran) {
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
