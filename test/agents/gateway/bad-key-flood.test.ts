import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { verifyNdjson } from '../../../docs/verify-audit.mjs';
import {
  ATTEMPT_WINDOW_MS,
  type Attempt,
  attemptSource,
  MAX_SOURCES_PER_WINDOW,
} from '../../../src/agents/model/attempts';
import { ANONYMOUS_CHAIN } from '../../../src/agents/model/audit-entry';
import { DEFAULT_BAD_KEY_LIMIT_PER_MINUTE } from '../../../src/agents/model/retention';
import type { AgentObject } from '../../../src/agents/objects/agent/agent-object';
import type { AuditRecord } from '../../../src/agents/objects/audit-calls';
import worker from '../../../workers/bollard/index';
import { admin, BASE, call, createAgent, type EnvOverrides, indexCaughtUp } from '../helpers';

/**
 * The storage bound this suite holds a flood to, in each of the `anonymous` object and the global index:
 * at most 1 KiB of SQLite growth per record of aggregated bad-key attempts (one source, one minute, one key
 * shape, one channel: the entry, its per-call row and their indexes; measured at about 0.5 KiB), plus 128
 * KiB once for page slack and the tables an object makes on first use. One source sending bad keys for a
 * minute therefore costs at most ~3 KiB per object (three key shapes), however many attempts it makes; 10,000
 * unaggregated entries would have been ~5 MB.
 */
const BYTES_PER_RECORD = 1024;
const FIXED_BYTES = 128 * 1024;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[Math.floor(Math.random() * 32)];
  return out;
}

/**
 * Agent ids no agent has, for well-formed keys with random secrets. A few, not one per attempt: every
 * distinct id is a Durable Object instance, and the test pool wraps the class's prototype in one more
 * proxy per instance it constructs (thousands overflow the stack, a limit of the harness, not of Bollard).
 */
const NO_SUCH_AGENTS = Array.from({ length: 4 }, () => base32(26));

function unknownAgentKey(i: number): string {
  return `bak_${NO_SUCH_AGENTS[i % NO_SUCH_AGENTS.length]}_${base32(40)}`;
}

/** A flood's keys: well-formed keys naming no agent, things that are not agent keys, and none at all. */
function badAuthorization(i: number): Record<string, string> {
  switch (i % 3) {
    case 0:
      return { authorization: `Bearer ${unknownAgentKey(i)}` };
    case 1:
      return { authorization: `Bearer sk_sbox_${base32(30)}` };
    default:
      return {};
  }
}

interface Sizes {
  anonymous: number;
  index: number;
}

async function sizes(): Promise<Sizes> {
  const [anonymous, index] = await Promise.all([
    env.AGENT.getByName(ANONYMOUS_CHAIN).databaseSize(),
    env.AUDIT_INDEX.getByName('global').databaseSize(),
  ]);
  return { anonymous, index };
}

/**
 * The anonymous chain's records from these sources (reading closes the minutes still open). Attempts are
 * recorded after the answers (`waitUntil`, awaited per request by `fetchWorker`) or in line (`call` with
 * overrides has no execution context), so every one is in by the time this reads.
 */
async function anonymousRecords(sources: readonly string[]): Promise<AuditRecord[]> {
  const res = await admin(`/admin/audit?agent=${ANONYMOUS_CHAIN}&limit=1000`);
  const page = (await res.json()) as { data: AuditRecord[] };
  return page.data.filter((r) => r.source !== null && sources.includes(r.source));
}

function minutesSpanned(startMs: number, endMs: number): number {
  return Math.floor(endMs / ATTEMPT_WINDOW_MS) - Math.floor(startMs / ATTEMPT_WINDOW_MS) + 1;
}

/**
 * A request through the Worker's own `fetch` (the deployed entry: metrics, request ids, the bad-key limit,
 * the gateway), with its own execution context, so what runs after the answer (`waitUntil`) runs as
 * deployed. Not `exports.default.fetch`: the test pool adds to a proxy chain on every call through it, and
 * thousands of calls slow each further one down.
 */
async function fetchWorker(
  path: string,
  headers: Record<string, string>,
  waitAfter = true,
): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { headers }), env, ctx);
  if (waitAfter) await waitOnExecutionContext(ctx);
  return res;
}

async function inBatches<T>(total: number, size: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < total; start += size) {
    const batch = Array.from({ length: Math.min(size, total - start) }, (_, k) => send(start + k));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

describe('a flood of bad agent keys', { timeout: 180_000 }, () => {
  it('10,000 attempts through the real route from 10 addresses: 429 past the limit, storage within the bound', async () => {
    const sources = Array.from({ length: 10 }, (_, i) => `198.51.100.${i + 1}`);
    const before = await sizes();
    const started = Date.now();
    // 200 at a time, 20 per address in flight.
    const answers = await inBatches(10_000, 200, async (i) => {
      const res = await fetchWorker('/agent/v1/payments', {
        'cf-connecting-ip': sources[i % sources.length] as string,
        ...badAuthorization(i),
      });
      const body = (await res.json()) as { error_codes: string[] };
      return {
        source: sources[i % sources.length] as string,
        status: res.status,
        body,
        retry: res.headers.get('retry-after'),
      };
    });
    const ended = Date.now();
    const limit = DEFAULT_BAD_KEY_LIMIT_PER_MINUTE;
    const windows = minutesSpanned(started, ended);
    for (const source of sources) {
      const mine = answers.filter((a) => a.source === source);
      const refused = mine.filter((a) => a.status === 401).length;
      // Up to the limit per minute reach the anonymous object, plus what was already in flight (20).
      expect(refused).toBeGreaterThanOrEqual(limit);
      expect(refused).toBeLessThanOrEqual(windows * (limit + 20));
      const limited = mine.filter((a) => a.status === 429);
      expect(limited.length + refused).toBe(1_000);
      for (const a of limited) {
        expect(a.body.error_codes).toEqual(['agent_key_rate_limited']);
        expect(Number(a.retry)).toBeGreaterThanOrEqual(1);
        expect(Number(a.retry)).toBeLessThanOrEqual(60);
      }
    }
    const reached = answers.filter((a) => a.status === 401).length;
    // Every attempt that reached the object is counted, in a few records per address and minute.
    const records = await anonymousRecords(sources);
    expect(records.reduce((n, r) => n + r.attempts, 0)).toBe(reached);
    expect(records.length).toBeLessThanOrEqual(sources.length * 3 * windows);
    for (const r of records)
      expect(r).toMatchObject({ chain: ANONYMOUS_CHAIN, decision: 'denied', agent_id: null });
    await indexCaughtUp(ANONYMOUS_CHAIN);
    const after = await sizes();
    const bound = FIXED_BYTES + records.length * BYTES_PER_RECORD;
    console.log(
      `flood (real route, ${reached} of 10,000 reached storage, ${records.length} records): anonymous +${after.anonymous - before.anonymous} B, index +${after.index - before.index} B, bound ${bound} B each`,
    );
    expect(after.anonymous - before.anonymous).toBeLessThanOrEqual(bound);
    expect(after.index - before.index).toBeLessThanOrEqual(bound);
  });

  it('10,000 attempts straight into the anonymous object from 50 addresses over 3 minutes: at most 17 records a minute', async () => {
    // As if the flood came through many isolates, each under its own limit (or with the limit off): the
    // aggregation alone holds. Each attempt is `recordAttempt`, what the Worker calls after a 401.
    const anonymous = env.AGENT.getByName(ANONYMOUS_CHAIN);
    const sources = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);
    // The next three minutes: none closes by itself during the flood; reading the chain closes them.
    const first = (Math.floor(Date.now() / ATTEMPT_WINDOW_MS) + 1) * ATTEMPT_WINDOW_MS;
    const before = await sizes();
    const floodAttempt = (i: number): Attempt => ({
      atMs: first + (i % 3) * ATTEMPT_WINDOW_MS + (i % 1000),
      source: sources[i % sources.length] as string,
      reason: 'agent_key_invalid',
      keyShape: 'unknown_agent',
      channel: 'rest',
      method: 'GET',
      requestId: `req_flood${i}`,
    });
    // The object's own method, called inside it (an RPC per attempt would mostly measure the harness).
    await runInDurableObject(anonymous, async (instance: AgentObject) => {
      for (let i = 0; i < 10_000; i++) await instance.recordAttempt(ANONYMOUS_CHAIN, floodAttempt(i));
    });
    const records = (await anonymousRecords([...sources, '*'])).filter(
      (r) => r.at_ms >= first && r.at_ms < first + 3 * ATTEMPT_WINDOW_MS,
    );
    expect(records.reduce((n, r) => n + r.attempts, 0)).toBe(10_000);
    // Per minute: 16 addresses by name, everything else under `*`.
    expect(records).toHaveLength(3 * (MAX_SOURCES_PER_WINDOW + 1));
    expect(records.filter((r) => r.source === '*')).toHaveLength(3);
    await indexCaughtUp(ANONYMOUS_CHAIN);
    const after = await sizes();
    const bound = FIXED_BYTES + records.length * BYTES_PER_RECORD;
    console.log(
      `flood (recordAttempt in the object, 10,000 attempts, ${records.length} records): anonymous +${after.anonymous - before.anonymous} B, index +${after.index - before.index} B, bound ${bound} B each`,
    );
    expect(after.anonymous - before.anonymous).toBeLessThanOrEqual(bound);
    expect(after.index - before.index).toBeLessThanOrEqual(bound);
  });

  it('through the real route with the limit off, and against a real agent: one record per address and minute', async () => {
    const agent = await createAgent({ payments: 'read' });
    const off: EnvOverrides = { AGENT_BAD_KEY_LIMIT_PER_MINUTE: '0' } as EnvOverrides;
    const source = '2001:db8:77:1::5';
    const started = Date.now();
    const statuses = await inBatches(1_000, 100, async (i) => {
      // Half with keys naming no agent, half naming the agent with a wrong secret; IPv6 addresses of one /64.
      const key = i % 2 === 0 ? unknownAgentKey(i) : `bak_${agent.id.slice(4)}_${base32(40)}`;
      const res = await call(
        '/agent/v1/payments',
        { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': `2001:db8:77:1::${i % 7}` } },
        off,
      );
      await res.arrayBuffer();
      return res.status;
    });
    const windows = minutesSpanned(started, Date.now());
    expect(statuses.every((s) => s === 401)).toBe(true);
    const net = attemptSource(source);
    expect(net).toBe('2001:db8:77:1::/64');
    const anonymous = await anonymousRecords([net]);
    expect(anonymous.reduce((n, r) => n + r.attempts, 0)).toBe(500);
    expect(anonymous.length).toBeLessThanOrEqual(windows);
    // The wrong secrets are the agent's own record: counted in its chain, with the shape an operator needs.
    const res = await admin(`/admin/audit?agent=${agent.id}&limit=1000`);
    const own = ((await res.json()) as { data: AuditRecord[] }).data;
    expect(own.reduce((n, r) => n + r.attempts, 0)).toBe(500);
    expect(own.length).toBeLessThanOrEqual(windows);
    expect(own[0]).toMatchObject({
      agent_id: agent.id,
      reason: 'agent_key_invalid',
      source: net,
      decision: 'denied',
    });
    // The chain holds `attempts` entries that verify, online and offline, and never the keys.
    const verify = (await (await admin(`/admin/audit/verify?agent=${agent.id}`)).json()) as {
      valid: boolean;
    };
    expect(verify.valid).toBe(true);
    const text = new TextDecoder().decode(
      await (await admin(`/admin/audit/export?agent=${agent.id}`)).arrayBuffer(),
    );
    const [offline] = verifyNdjson(text);
    expect(offline).toMatchObject({ valid: true, from_genesis: true });
    const entry = JSON.parse(text.trim().split('\n')[0] as string) as Record<string, unknown>;
    expect(entry).toMatchObject({ kind: 'attempts', key_shape: 'wrong_secret', source: net });
    expect(text).not.toContain('bak_');
  });

  it('a known-good key from an address being refused still gets through', async () => {
    const agent = await createAgent({ payments: 'read' });
    const ip = { 'cf-connecting-ip': '192.0.2.77' };
    const good = { authorization: `Bearer ${agent.key}`, ...ip };
    expect((await fetchWorker('/agent/v1/payments?limit=1', good)).status).toBe(200);
    const refused = await inBatches(DEFAULT_BAD_KEY_LIMIT_PER_MINUTE + 5, 1, async () => {
      const res = await fetchWorker('/agent/v1/payments', { ...ip });
      await res.arrayBuffer();
      return res.status;
    });
    // Straddling a minute boundary resets the count: then there are fewer 429s, never more.
    expect(refused.filter((s) => s === 401).length).toBeGreaterThanOrEqual(DEFAULT_BAD_KEY_LIMIT_PER_MINUTE);
    const stillRefused = await fetchWorker('/agent/v1/payments', { ...ip });
    if (stillRefused.status === 429) {
      // The agent's key worked from here before: it is not refused with the flood.
      expect((await fetchWorker('/agent/v1/payments?limit=1', good)).status).toBe(200);
      // A request with no `CF-Connecting-IP` did not come from the internet and is not limited.
      expect((await fetchWorker('/agent/v1/payments', {})).status).toBe(401);
    }
    const agentObject: DurableObjectStub<AgentObject> = env.AGENT.getByName(agent.id);
    expect((await agentObject.verify()).valid).toBe(true);
  });
});
