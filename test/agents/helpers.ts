import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { vi } from 'vitest';
import type { Scopes } from '../../src/agents/model/scope';
import type { AgentLimits, AgentView, Grants } from '../../src/agents/model/types';
import type { AuditRecord } from '../../src/agents/objects/audit-calls';
import { createApp } from '../../src/app';
import { AREAS, type CatalogEntry, fillPath } from '../../src/catalog';
import { settled, workerFetch } from '../support/worker-fetch';

export const BASE = 'http://bollard.test';
export const ADMIN = { authorization: 'Bearer bollard_admin_dev' };

/** Every area `any`: for tests about something else than object scope, acting on objects others made. */
export const ANY_SCOPE: Scopes = Object.fromEntries(AREAS.map((a) => [a.id, 'any']));

export interface CreatedAgent extends AgentView {
  key: string;
}

/** Env overrides for one call, e.g. a short `AGENT_UPSTREAM_DEADLINE_MS`; none means the worker's own env. */
export type EnvOverrides = Partial<Record<keyof Env, string>>;

/**
 * Calls the whole Bollard worker (its `waitUntil` work awaited by `settled()`), or the same app with
 * `overrides` on top of the worker's env and no execution context (bookkeeping then runs in line).
 */
export async function call(
  path: string,
  init: RequestInit = {},
  overrides?: EnvOverrides,
): Promise<Response> {
  if (!overrides) return workerFetch(`${BASE}${path}`, init);
  return await createApp().fetch(new Request(`${BASE}${path}`, init), { ...env, ...overrides } as Env);
}

export async function admin(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('authorization', ADMIN.authorization);
  if (json !== undefined) headers.set('content-type', 'application/json');
  return call(path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
}

/**
 * An operator call as a well-behaved client makes it: a 503 (`agent_state_unavailable`: the agent's object
 * did not answer within its deadline, and nothing changed) means "not yet": the call is made again a
 * second later (its `Retry-After`), for 15 s at most; any other status than `expected` fails the test with
 * the answer. A loaded two-core machine running
 * three runtimes can pass the 5 s deadline; this is setup, not the behaviour under test.
 */
async function adminSetup(
  what: string,
  path: string,
  init: RequestInit & { json?: unknown },
  expected: number,
): Promise<Response> {
  // Polled until the object answers: 503 is "not yet" (its Retry-After is 1 s, the interval here).
  const res = await vi.waitFor(
    async () => {
      const r = await admin(path, init);
      if (r.status === 503) throw new Error(`${what}: 503 ${await r.text()}`);
      return r;
    },
    { timeout: 15_000, interval: 1_000 },
  );
  if (res.status !== expected) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

/** Creates an agent (`adminSetup`: a 503 is retried, anything but 201 fails the test). */
export async function createAgent(
  grants: Grants,
  extra: { name?: string; scope?: Scopes; limits?: AgentLimits; expires_at?: string } = {},
): Promise<CreatedAgent> {
  const res = await adminSetup(
    'create agent',
    '/admin/agents',
    { method: 'POST', json: { name: extra.name ?? 'test agent', grants, ...extra } },
    201,
  );
  return (await res.json()) as CreatedAgent;
}

/** Changes an agent as an operator does (`adminSetup`: a 503 is retried, anything but 200 fails the test). */
export async function updateAgent(id: string, patch: Record<string, unknown>): Promise<AgentView> {
  const res = await adminSetup('update agent', `/admin/agents/${id}`, { method: 'PATCH', json: patch }, 200);
  return (await res.json()) as AgentView;
}

/** A gateway call with an agent key (Bearer unless `bare`). */
export function gateway(
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  overrides?: EnvOverrides,
): Promise<Response> {
  const h = new Headers(headers);
  if (key !== null && !h.has('authorization')) h.set('authorization', `Bearer ${key}`);
  if (body !== undefined) h.set('content-type', 'application/json');
  return call(
    `/agent/v1${path}`,
    {
      method,
      headers: h,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    },
    overrides,
  );
}

/**
 * An agent's calls, from its own object, once every call made so far has appended its outcome (after the
 * answer, with `waitUntil`: awaited here through the calls' execution contexts, not polled for). Read as
 * `adminSetup` reads: a 503 (the object busy past its deadline) is retried, anything but 200 fails.
 */
export async function auditFor(agentId: string): Promise<AuditRecord[]> {
  await settled();
  const res = await adminSetup('audit', `/admin/audit?agent=${agentId}&limit=1000`, {}, 200);
  return ((await res.json()) as { data: AuditRecord[] }).data;
}

/**
 * Brings the global index up to a chain's head: once the calls' outcomes are in, runs the agent object's
 * alarm (which forwards new entries; it is due shortly after an append) until the index holds the head.
 * An alarm already running on its own is simply waited out by the next round. With `onItsOwn`, the
 * alarm is left to fire when the runtime fires it and the index is polled instead (for the one test
 * about that timing). Returns how long it took.
 */
export async function indexCaughtUp(
  chain: string,
  options: { onItsOwn?: boolean; timeoutMs?: number } = {},
): Promise<number> {
  const { onItsOwn = false, timeoutMs = 10_000 } = options;
  const started = Date.now();
  await settled();
  const agent = env.AGENT.getByName(chain);
  const index = env.AUDIT_INDEX.getByName('global');
  return vi.waitFor(
    async () => {
      const [head, indexed] = await Promise.all([agent.head(), index.headOf(chain)]);
      if (indexed.seq === head.seq && indexed.hash === head.hash) return Date.now() - started;
      if (!onItsOwn) await runDurableObjectAlarm(agent);
      throw new Error(`index behind for ${chain}: ${indexed.seq} < ${head.seq}`);
    },
    { timeout: timeoutMs, interval: onItsOwn ? 25 : 1 },
  );
}

/** A concrete path for an entry (placeholder ids) and a plausible body, for walking the catalog. */
export function sampleCall(entry: CatalogEntry): { path: string; body?: unknown } {
  const path = fillPath(entry.path, { id: entry.path.startsWith('/balances') ? 'ent_sample' : 'id_sample' });
  if (entry.method === 'GET' || entry.method === 'DELETE') return { path };
  if (entry.name === 'createTransfer')
    return {
      path,
      body: {
        reference: 'r',
        transfer_type: 'commission',
        source: { id: 'ent_a', amount: 100 },
        destination: { id: 'ent_b' },
      },
    };
  if (entry.movesMoney) return { path, body: { amount: 100, currency: 'EUR', reference: 'matrix' } };
  return { path, body: { reference: 'matrix' } };
}

/** An MCP client (the SDK's own) talking to Bollard's /agent/mcp through the worker's fetch. */
export async function mcpClient(key: string, overrides?: EnvOverrides): Promise<Client> {
  const client = new Client({ name: 'bollard-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/agent/mcp`), {
    fetch: (url, init) =>
      overrides
        ? call(new URL(url instanceof Request ? url.url : String(url)).pathname, init, overrides)
        : workerFetch(url instanceof Request ? url : String(url), init),
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

/** Total requests the simulator has seen (its own counter), to prove a refusal cost no upstream call. */
export async function simRequests(): Promise<number> {
  const sim = (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM;
  const res = await sim.fetch('http://sim/_sim/stats', {
    headers: { authorization: 'Bearer sim_admin_dev' },
  });
  const stats = (await res.json()) as { requests: { total: number } };
  return stats.requests.total;
}

/** A sandbox card payment body (approved by the simulator's test card). */
export function cardPayment(amount: number, currency = 'EUR', capture = true): Record<string, unknown> {
  return {
    amount,
    currency,
    capture,
    reference: `agents-${amount}`,
    source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
  };
}

/** Changes the simulator's settings (e.g. its rate limits) through its control plane. */
export async function simConfig(settings: Record<string, unknown>): Promise<void> {
  const sim = (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM;
  const res = await sim.fetch('http://sim/_sim/config', {
    method: 'POST',
    headers: { authorization: 'Bearer sim_admin_dev', 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  if (!res.ok) throw new Error(`sim config: ${res.status} ${await res.text()}`);
}

function simFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM.fetch(`http://sim${path}`, init);
}

/**
 * Sets the simulator's faults (`POST /_sim/faults`, e.g. `{ routes: { 'POST /payments': { latency_ms: 1500 } } }`),
 * or clears them all with `null`.
 */
export async function simFaults(faults: Record<string, unknown> | null): Promise<void> {
  const res = await simFetch('/_sim/faults', {
    method: faults === null ? 'DELETE' : 'POST',
    headers: { authorization: 'Bearer sim_admin_dev', 'content-type': 'application/json' },
    ...(faults === null ? {} : { body: JSON.stringify(faults) }),
  });
  if (!res.ok) throw new Error(`sim faults: ${res.status} ${await res.text()}`);
}

/** The payments the simulator holds with a reference, read with Bollard's own secret key (not through Bollard). */
export async function paymentsWithReference(
  reference: string,
): Promise<Array<{ id: string; amount: number }>> {
  const res = await simFetch(`/payments?reference=${encodeURIComponent(reference)}&limit=100`, {
    headers: { authorization: `Bearer ${env.CHECKOUT_SECRET_KEY}` },
  });
  if (!res.ok) throw new Error(`sim payments: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: Array<{ id: string; amount: number }> }).data;
}

/** Sends straight to the simulator with Bollard's secret key: e.g. to ask whether a key is stored upstream. */
export function simApi(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return simFetch(path, {
    method,
    headers: {
      authorization: `Bearer ${env.CHECKOUT_SECRET_KEY}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** The agent's counted spend for today, as operators see it. */
export async function spentToday(agentId: string): Promise<Record<string, number>> {
  const res = await admin(`/admin/agents/${agentId}`);
  return ((await res.json()) as { spent_today: Record<string, number> }).spent_today;
}

/**
 * The day's spend once every call's outcome is in. A release is part of the call's outcome, appended
 * after the answer (`waitUntil`): awaited through the calls' execution contexts.
 */
export async function spentTodaySettled(agentId: string): Promise<Record<string, number>> {
  await settled();
  return spentToday(agentId);
}
