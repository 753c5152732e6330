import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEV_CREDENTIALS } from '../../../src/dev/credentials';
import { fillPath, type MoneyMethod, type PreparedCall } from './methods';
import type { FetchLike } from './upstream-setup';

/** What a surface answered, in one shape whatever the surface. */
export interface Answer {
  status: number;
  body: unknown;
  /** The `Cko-Idempotency-Key` the surface says it used (header, or the tool result). */
  idempotencyKey: string | null;
  errorType: string | null;
}

export type SurfaceName = 'agent-rest' | 'agent-mcp' | 'storefront';

export interface Surface {
  name: SurfaceName;
  /** Sends one logical call; `key` is the caller's idempotency key when it has one. */
  call(method: MoneyMethod, prepared: PreparedCall, key: string | null): Promise<Answer>;
  close(): Promise<void>;
}

function errorTypeOf(body: unknown): string | null {
  if (body && typeof body === 'object' && 'error_type' in body) {
    const t = (body as { error_type: unknown }).error_type;
    return typeof t === 'string' ? t : null;
  }
  return null;
}

async function readAnswer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return {
    status: res.status,
    body,
    idempotencyKey: res.headers.get('cko-idempotency-key'),
    errorType: errorTypeOf(body),
  };
}

/** The grants every chaos agent holds: write on each area a money-moving method lives in. */
const GRANTS = {
  payments: 'write',
  'sessions-links': 'write',
  disputes: 'write',
  'payouts-balances': 'write',
};

export async function createAgentKey(
  bollardUrl: string,
  name: string,
  fetcher: FetchLike = fetch,
): Promise<string> {
  const res = await fetcher(`${bollardUrl}/admin/agents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' },
    // Scope `any`: the chaos methods act on objects the harness made upstream, not through this agent.
    body: JSON.stringify({
      name,
      grants: GRANTS,
      scope: Object.fromEntries(Object.keys(GRANTS).map((a) => [a, 'any'])),
    }),
  });
  const body = (await res.json()) as { key?: string };
  if (res.status !== 201 || !body.key) throw new Error(`creating the chaos agent failed: ${res.status}`);
  return body.key;
}

/** `/agent/v1`: Checkout.com's own paths, the caller's `Cko-Idempotency-Key` when given. */
export function agentRest(bollardUrl: string, agentKey: string, fetcher: FetchLike = fetch): Surface {
  return {
    name: 'agent-rest',
    async call(method, prepared, key) {
      const res = await fetcher(`${bollardUrl}/agent/v1${fillPath(method.path, prepared.params)}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${agentKey}`,
          'content-type': 'application/json',
          ...(key === null ? {} : { 'cko-idempotency-key': key }),
        },
        body: JSON.stringify(prepared.body ?? {}),
        signal: AbortSignal.timeout(60_000),
      });
      return readAnswer(res);
    },
    async close() {},
  };
}

/** Reads `{ status, body, idempotency_key? }` from a tool result's text, however the tool framed it. */
function toolAnswer(result: unknown): Answer {
  const r = result as {
    content?: Array<{ type: string; text?: string }>;
    structuredContent?: Record<string, unknown>;
  };
  const text = r.content?.find((c) => c.type === 'text')?.text ?? '';
  let parsed: Record<string, unknown> = {};
  try {
    parsed = (r.structuredContent ?? JSON.parse(text)) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  const status = typeof parsed.status === 'number' ? parsed.status : 0;
  const key =
    typeof parsed.idempotency_key === 'string'
      ? parsed.idempotency_key
      : (/Cko-Idempotency-Key[^A-Za-z0-9]*([\x21-\x7e]{8,255}?)["\s).,]/.exec(text)?.[1] ?? null);
  return { status, body: parsed.body ?? null, idempotencyKey: key, errorType: errorTypeOf(parsed.body) };
}

/** `/agent/mcp` through the MCP SDK's own client: one tool per catalog method. */
export async function agentMcp(
  bollardUrl: string,
  agentKey: string,
  fetcher: FetchLike = fetch,
): Promise<Surface> {
  const client = new Client({ name: 'bollard-chaos', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${bollardUrl}/agent/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${agentKey}` } },
      fetch: (url, init) => fetcher(url instanceof Request ? url.url : String(url), init),
    }),
  );
  return {
    name: 'agent-mcp',
    async call(method, prepared, key) {
      const result = await client.callTool(
        {
          name: method.name,
          arguments: {
            ...prepared.params,
            ...(prepared.body === undefined ? {} : { body: prepared.body }),
            ...(key === null ? {} : { idempotency_key: key }),
          },
        },
        undefined,
        { timeout: 60_000 },
      );
      return toolAnswer(result);
    },
    close: () => client.close(),
  };
}

/**
 * The storefront as a shop's page uses it: a session created through Bollard, then Flow's submit with
 * the card token. A retry resends the same submit, which is what a shopper's second click does.
 */
export function storefront(
  bollardUrl: string,
  fetcher: FetchLike = fetch,
): Surface & {
  newSession(): Promise<{ id: string; reference: string }>;
  tryNewSession(reference: string): Promise<{ status: number; id: string | undefined }>;
} {
  const headers = { 'content-type': 'application/json', origin: bollardUrl };
  return {
    name: 'storefront',
    async newSession() {
      const reference = `chaos-sf-${crypto.randomUUID().slice(0, 8)}`;
      // Under load the account's write budget may shed a session create (429 + Retry-After): not a
      // money-moving call and not under test here, so it is simply retried.
      for (let attempt = 0; ; attempt++) {
        const session = await this.tryNewSession(reference);
        if (session.status === 201 || attempt >= 10) {
          if (session.status !== 201 || !session.id)
            throw new Error(`creating a session failed: ${session.status}`);
          return { id: session.id, reference };
        }
        await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
      }
    },
    async tryNewSession(reference: string) {
      const res = await fetcher(`${bollardUrl}/v1/payment-sessions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          amount: 2500,
          currency: 'GBP',
          reference,
          billing: { address: { country: 'GB' } },
          success_url: `${bollardUrl}/?outcome=success`,
          failure_url: `${bollardUrl}/?outcome=failure`,
        }),
      });
      const body = (await res.json()) as { id?: string };
      return { status: res.status, id: body.id };
    },
    async call(method, prepared, key) {
      const res = await fetcher(`${bollardUrl}/v1${fillPath(method.path, prepared.params)}`, {
        method: 'POST',
        headers: { ...headers, ...(key === null ? {} : { 'idempotency-key': key }) },
        body: JSON.stringify(prepared.body ?? {}),
        signal: AbortSignal.timeout(60_000),
      });
      return readAnswer(res);
    },
    async close() {},
  };
}
