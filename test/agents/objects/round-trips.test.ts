import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  carriedRequests,
  carryWindow,
  settleCarried,
  takeParked,
} from '../../../src/agents/gateway/outcome-relay';
import { hashAgentKey } from '../../../src/agents/model/keys';
import { SWEEP_AFTER_MS } from '../../../src/agents/objects/agent/call-path';
import type { BeginRequest } from '../../../src/agents/objects/agent/rpc';
import type { AuditRecord } from '../../../src/agents/objects/audit-calls';
import { agentObject } from '../../../src/agents/objects/stubs';
import worker from '../../../workers/bollard/index';
import {
  ADMIN,
  admin,
  auditFor,
  BASE,
  cardPayment,
  createAgent,
  gateway,
  indexCaughtUp,
  spentToday,
} from '../helpers';

const metered = { ...env, DO_METER: 'on' } as Env;

interface Trips {
  status: number;
  /** Round trips the answer waited on, per binding (`AGENT=1`). */
  waited: Record<string, number>;
  /** Round trips still running when the answer was ready (the outcome append). */
  background: number;
  body: unknown;
}

/** One request through the whole Worker with the Durable Object meter on (`src/http/do-meter.ts`). */
async function metered_(path: string, init: RequestInit): Promise<Trips> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), metered, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  const detail = res.headers.get('x-bollard-do-calls-detail') ?? '';
  const waited = Object.fromEntries(
    detail
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string])
      .map(([k, v]) => [k, Number(v)]),
  );
  delete waited.RATE_GOVERNOR; // the governor's leases are amortised across calls, not per call
  return {
    status: res.status,
    waited,
    background: Number(res.headers.get('x-bollard-do-calls-background')),
    body: text ? JSON.parse(text) : null,
  };
}

function agentCall(key: string, method: string, path: string, body?: unknown): Promise<Trips> {
  return metered_(`/agent/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

describe('one Durable Object round trip per agent call', { timeout: 60_000 }, () => {
  it('a read: authentication and the start record in one round trip; the outcome after the answer', async () => {
    const agent = await createAgent({ payments: 'read' });
    const read = await agentCall(agent.key, 'GET', '/payments?limit=1');
    expect(read.status).toBe(200);
    expect(read.waited).toEqual({ AGENT: 1 });
    // Nothing runs beside the answer: the outcome is parked for the agent's next call to carry, and sent
    // on its own (`finish`) when none comes in time, which `metered_` waits for (waitOnExecutionContext).
    expect(read.background).toBe(0);
    const [rec] = await auditFor(agent.id);
    expect(rec).toMatchObject({ decision: 'allowed', upstream_status: 200, outcome: 'recorded' });
    expect(await chainKinds(agent.id)).toEqual([
      [1, 'start', null],
      [2, 'outcome', 1],
    ]);
  });

  it("the agent's next call carries the outcome of the one before: one round trip and one step for both", async () => {
    const agent = await createAgent({ payments: 'read' });
    const first = await readLeavingOutcomeParked(agent.key);
    // Sent before the first call's parked outcome is due on its own (its execution context is still open).
    const second = await agentCall(agent.key, 'GET', '/payments?limit=1');
    expect(second.waited).toEqual({ AGENT: 1 });
    await waitOnExecutionContext(first);
    // The first outcome went in with the second call's start, before it; the second's came on its own.
    expect(await chainKinds(agent.id)).toEqual([
      [1, 'start', null],
      [2, 'outcome', 1],
      [3, 'start', null],
      [4, 'outcome', 3],
    ]);
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.decision, r.outcome])).toEqual([
      ['allowed', 'recorded'],
      ['allowed', 'recorded'],
    ]);
  });

  it('an outcome carried by a begin whose answer was lost is sent again and appended once', async () => {
    const agent = await createAgent({ payments: 'read' });
    const first = await readLeavingOutcomeParked(agent.key);
    // The Worker gave up on the carrying begin (deadline): the outcome went back to its own request.
    const carried = takeParked(agent.id);
    expect(carried.items).toHaveLength(1);
    const stub = agentObject(env, agent.id);
    const begun = await stub.begin({
      ...(await readBegin(agent.key, 'lost-begin')),
      outcomes: carriedRequests(carried),
    });
    expect(begun.kind).toBe('started');
    settleCarried(carried, false);
    await waitOnExecutionContext(first);
    await stub.abandon('lost-begin');
    // Outcome 1 once (the object ignored the second `finish`), then the abandoned start and its end.
    expect(await chainKinds(agent.id)).toEqual([
      [1, 'start', null],
      [2, 'outcome', 1],
      [3, 'start', null],
      [4, 'outcome', 3],
    ]);
  });

  it('a limited payment (cap reserved) and a limited capture (the payment read upstream) are one round trip each', async () => {
    const agent = await createAgent(
      { payments: 'write' },
      { limits: { max_amount_per_call: { EUR: 5000 }, max_amount_per_day: { EUR: 5000 } } },
    );
    const paid = await agentCall(agent.key, 'POST', '/payments', cardPayment(700, 'EUR', false));
    expect(paid.status).toBe(201);
    expect(paid.waited).toEqual({ AGENT: 1 });
    const id = (paid.body as { id: string }).id;
    // No amount: the agent's object reads the payment (upstream) inside the same round trip.
    const captured = await agentCall(agent.key, 'POST', `/payments/${id}/captures`, {});
    expect(captured.status).toBe(202);
    expect(captured.waited).toEqual({ AGENT: 1 });
    expect(await spentToday(agent.id)).toEqual({ EUR: 1400 });
  });

  it('object scope adds no hop: owned, not owned, and a dispute owned through its payment (read upstream inside begin)', async () => {
    const agent = await createAgent({ payments: 'write', disputes: 'write' });
    const other = await createAgent({ payments: 'write' });
    const mine = await agentCall(agent.key, 'POST', '/payments', cardPayment(300, 'EUR', false));
    const theirs = await agentCall(other.key, 'POST', '/payments', cardPayment(300, 'EUR', false));
    const captured = await agentCall(
      agent.key,
      'POST',
      `/payments/${(mine.body as { id: string }).id}/captures`,
      {},
    );
    expect(captured.status).toBe(202);
    expect(captured.waited).toEqual({ AGENT: 1 });
    const refused = await agentCall(
      agent.key,
      'POST',
      `/payments/${(theirs.body as { id: string }).id}/voids`,
      {},
    );
    expect(refused.status).toBe(403);
    expect(refused.waited).toEqual({ AGENT: 1 });
    expect(refused.background).toBe(0);
    const raised = await (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM.fetch(
      'http://sim/_sim/disputes',
      {
        method: 'POST',
        headers: { authorization: 'Bearer sim_admin_dev', 'content-type': 'application/json' },
        body: JSON.stringify({ payment_id: (mine.body as { id: string }).id }),
      },
    );
    const dispute = (await raised.json()) as { id: string };
    const read = await agentCall(agent.key, 'GET', `/disputes/${dispute.id}`);
    expect(read.status).toBe(200);
    expect(read.waited).toEqual({ AGENT: 1 });
  });

  it('a refusal is one round trip and no outcome; a call without a key waits on none', async () => {
    const agent = await createAgent({ payments: 'read' });
    const refused = await agentCall(agent.key, 'POST', '/payments', cardPayment(100));
    expect(refused.status).toBe(403);
    expect(refused.waited).toEqual({ AGENT: 1 });
    expect(refused.background).toBe(0);
    const anonymous = await metered_('/agent/v1/payments', { method: 'GET' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.waited).toEqual({});
    expect(anonymous.background).toBe(1);
  });

  it('an MCP tools/call is one round trip too', async () => {
    const agent = await createAgent({ payments: 'read' });
    const res = await metered_('/agent/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${agent.key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'listPayments', arguments: { query: { limit: 1 } } },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.waited).toEqual({ AGENT: 1 });
    expect(JSON.stringify(res.body)).toContain('\\"status\\":200');
  });

  it('revocation takes effect on the very next call, REST and MCP', async () => {
    const agent = await createAgent({ payments: 'read' });
    expect((await gateway(agent.key, 'GET', '/payments?limit=1')).status).toBe(200);
    await admin(`/admin/agents/${agent.id}`, { method: 'DELETE' });
    const rest = await gateway(agent.key, 'GET', '/payments?limit=1');
    expect(rest.status).toBe(401);
    const mcp = await agentToolCall(agent.key);
    expect(mcp.status).toBe(401);
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.channel, r.decision, r.reason])).toEqual([
      ['rest', 'allowed', 'allowed'],
      ['rest', 'denied', 'agent_key_invalid'],
      ['mcp', 'denied', 'agent_key_invalid'],
    ]);
  });
});

async function agentToolCall(key: string): Promise<Response> {
  return await worker.fetch(
    new Request(`${BASE}/agent/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'listPayments', arguments: {} },
      }),
    }),
    env,
    createExecutionContext(),
  );
}

/**
 * One read through the whole Worker, answered, its outcome parked: the carry window is 3 s for this test
 * (wide enough that what the test does next happens within it, however slow the machine), and the read's
 * execution context is returned still open, for the test to wait on.
 */
async function readLeavingOutcomeParked(key: string): Promise<ExecutionContext> {
  const usual = carryWindow.ms;
  carryWindow.ms = 3_000;
  onTestFinished(() => {
    carryWindow.ms = usual;
  });
  const ctx = createExecutionContext();
  const answered = await worker.fetch(
    new Request(`${BASE}/agent/v1/payments?limit=1`, { headers: { authorization: `Bearer ${key}` } }),
    metered,
    ctx,
  );
  expect(answered.status).toBe(200);
  await answered.text();
  return ctx;
}

/** The agent's chain as (seq, kind, call_seq), read in its object. */
async function chainKinds(agentId: string): Promise<Array<[number, string, number | null]>> {
  return await runInDurableObject(agentObject(env, agentId), (_instance, state) =>
    state.storage.sql
      .exec<{ seq: number; kind: string; call_seq: number | null }>(
        'SELECT seq, kind, call_seq FROM audit_entries ORDER BY seq',
      )
      .toArray()
      .map((row): [number, string, number | null] => [row.seq, row.kind, row.call_seq]),
  );
}

/** What the Worker sends `begin` for a payments listing, as `executeAgentCall` would. */
async function readBegin(key: string, requestId: string): Promise<BeginRequest> {
  return {
    keyHash: await hashAgentKey(key),
    requestId,
    channel: 'rest',
    atMs: Date.now(),
    method: 'GET',
    source: '203.0.113.9',
    entry: 'listPayments',
    params: {},
    refusal: null,
    givenKey: null,
    key: null,
    money: { amount: null, currency: null },
  };
}

/** What the Worker sends `begin` for a payment, as `executeAgentCall` would. */
async function paymentBegin(key: string, requestId: string, amount: number): Promise<BeginRequest> {
  return {
    keyHash: await hashAgentKey(key),
    requestId,
    channel: 'rest',
    atMs: Date.now(),
    method: 'POST',
    entry: 'requestPayment',
    params: {},
    refusal: null,
    givenKey: `crash-${requestId}`,
    key: `crash-${requestId}`,
    money: { amount, currency: 'EUR' },
  };
}

async function records(agentId: string): Promise<AuditRecord[]> {
  const res = await admin(`/admin/audit?agent=${agentId}&limit=100`);
  return ((await res.json()) as { data: AuditRecord[] }).data;
}

describe('a crash between the start and the outcome', { timeout: 60_000 }, () => {
  it('shows the call as unrecorded, verifies, keeps its reservation; the sweep marks it outcome_unrecorded', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    const stub = env.AGENT.getByName(agent.id);
    // The Worker began the call (reserved, start appended), sent it, and died before the outcome append.
    const begun = await stub.begin(await paymentBegin(agent.key, 'req_crashed', 600));
    expect(begun.kind).toBe('started');
    const [rec] = await records(agent.id);
    expect(rec).toMatchObject({
      request_id: 'req_crashed',
      outcome: 'unrecorded',
      decision: 'allowed',
      upstream_status: null,
      amount: 600,
    });
    expect(await spentToday(agent.id)).toEqual({ EUR: 600 });
    const chain = (await (await admin(`/admin/audit/verify?agent=${agent.id}`)).json()) as { valid: boolean };
    expect(chain.valid).toBe(true);
    await indexCaughtUp(agent.id);
    expect(((await (await admin('/admin/audit/verify')).json()) as { valid: boolean }).valid).toBe(true);

    // Before the sweep's age, nothing is marked; after it, an outcome entry says the outcome was not recorded.
    expect(await stub.sweep(Date.now())).toBe(0);
    expect(await stub.sweep(Date.now() + SWEEP_AFTER_MS + 1)).toBe(1);
    const [swept] = await records(agent.id);
    expect(swept).toMatchObject({ outcome: 'unrecorded', decision: 'failed', reason: 'outcome_unrecorded' });
    // Bollard cannot say whether the money moved: the reservation stays until the key's 24 hours are up.
    expect(await spentToday(agent.id)).toEqual({ EUR: 600 });
    // A late outcome for a swept start is not appended twice.
    if (begun.kind !== 'started') throw new Error('started');
    await stub.finish({
      seq: begun.seq,
      atMs: Date.now(),
      latencyMs: 1,
      decision: 'allowed',
      reason: 'allowed',
      upstreamStatus: 201,
      upstreamRequestId: null,
      idempotencyKey: null,
      amount: 600,
      currency: 'EUR',
      release: null,
    });
    expect((await stub.entries(0, 100)).map((e) => e.kind)).toEqual(['start', 'outcome']);
    expect(
      ((await (await admin(`/admin/audit/verify?agent=${agent.id}`)).json()) as { valid: boolean }).valid,
    ).toBe(true);
  });

  it('a begin whose answer was lost (deadline) is closed by abandon: not sent, reservation given back', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    const stub = env.AGENT.getByName(agent.id);
    await stub.begin(await paymentBegin(agent.key, 'req_lost', 400));
    expect(await spentToday(agent.id)).toEqual({ EUR: 400 });
    await stub.abandon('req_lost');
    const [rec] = await records(agent.id);
    expect(rec).toMatchObject({ outcome: 'recorded', decision: 'failed', reason: 'upstream_failed' });
    expect(await spentToday(agent.id)).toEqual({ EUR: 0 });
  });
});

describe('the global index and incremental verification', { timeout: 60_000 }, () => {
  it('a call reaches the global index (and its outcome with it) shortly after the answer', async () => {
    const agent = await createAgent({ disputes: 'read' });
    const res = await gateway(agent.key, 'GET', '/disputes?limit=1');
    const requestId = res.headers.get('cko-request-id');
    // The agent object's own alarm, as the runtime fires it (the one wait here on wall-clock time).
    const lag = await indexCaughtUp(agent.id, { onItsOwn: true });
    // Bounded by FLUSH_DELAY_MS (200 ms) plus one round trip; generous here for a loaded test machine.
    expect(lag).toBeLessThan(5_000);
    const page = (await (await admin('/admin/audit?limit=1000&area=disputes')).json()) as {
      data: AuditRecord[];
    };
    const found = page.data.find((r) => r.request_id === requestId);
    expect(found).toMatchObject({ agent_id: agent.id, outcome: 'recorded', upstream_status: 200 });
  });

  it('verifies only what is new since the last checkpoint', async () => {
    const agent = await createAgent({ disputes: 'read' });
    for (let i = 0; i < 3; i++) await gateway(agent.key, 'GET', '/disputes?limit=1');
    await indexCaughtUp(agent.id);
    type Verification = {
      valid: boolean;
      ranges: Array<{ chain: string; from_seq: number; start_seq: number; to_seq: number }>;
    };
    const run = async () => (await (await admin('/admin/audit/verify')).json()) as Verification;
    const rangeOf = (v: Verification) => v.ranges.find((r) => r.chain === agent.id);
    const first = await run();
    expect(first.valid).toBe(true);
    expect(rangeOf(first)).toEqual({ chain: agent.id, from_seq: 0, start_seq: 0, to_seq: 6 });
    // Nothing new for this chain: it is not read again.
    expect(rangeOf(await run())).toBeUndefined();
    await gateway(agent.key, 'GET', '/disputes?limit=1');
    await indexCaughtUp(agent.id);
    const third = await run();
    expect(rangeOf(third)).toEqual({ chain: agent.id, from_seq: 6, start_seq: 6, to_seq: 8 });
    expect(third.valid).toBe(true);
    // A full run starts every chain from its genesis.
    const full = (await (
      await admin('/admin/audit/verify?full=true', { headers: ADMIN })
    ).json()) as Verification;
    expect(rangeOf(full)).toEqual({ chain: agent.id, from_seq: 0, start_seq: 0, to_seq: 8 });
  });
});
