import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashAgentKey } from '../../../src/agents/model/keys';
import type { BeginRequest } from '../../../src/agents/objects/agent/rpc';
import {
  admin,
  auditFor,
  cardPayment,
  createAgent,
  type EnvOverrides,
  gateway,
  mcpClient,
  paymentsWithReference,
  simFaults,
  simRequests,
  updateAgent,
} from '../helpers';

type ErrorJson = { error_type: string; error_codes: string[]; message: string };

/**
 * A stall longer than a short deadline: Bollard answers 504 (outcome unknown) and the simulator finishes
 * the payment after it has gone, as a real server would (as in outcomes.test.ts).
 */
const LOST: Record<string, unknown> = { routes: { 'POST /payments': { latency_ms: 3_000 } } };
const SHORT: EnvOverrides = { AGENT_UPSTREAM_DEADLINE_MS: '1200', UPSTREAM_ATTEMPT_TIMEOUT_MS: '600' };

/**
 * Waits until `match` holds: the stalled payment exists upstream (the simulator's own timer, in another
 * Worker) or the outcome entry appended after the answer is in. Fails the test if it never does.
 */
async function settled(match: () => Promise<boolean>): Promise<void> {
  await vi.waitFor(async () => expect(await match()).toBe(true), { timeout: 8_000, interval: 50 });
}

async function notOwned(res: Response): Promise<ErrorJson> {
  expect(res.status).toBe(403);
  const body = (await res.json()) as ErrorJson;
  expect(body).toMatchObject({ error_type: 'permission_denied', error_codes: ['object_not_owned'] });
  return body;
}

async function json<T>(res: Response, status: number): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

function sim(
  path: string,
  init: RequestInit & { json?: unknown; as?: 'admin' | 'public' } = {},
): Promise<Response> {
  const { json: body, as, ...rest } = init;
  const authorization =
    as === 'admin'
      ? 'Bearer sim_admin_dev'
      : as === 'public'
        ? `Bearer ${env.CHECKOUT_PUBLIC_KEY}`
        : `Bearer ${env.CHECKOUT_SECRET_KEY}`;
  return (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM.fetch(`http://sim${path}`, {
    ...rest,
    headers: { authorization, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

function payment(amount: number, capture = false): { body: Record<string, unknown>; reference: string } {
  const reference = `scope-${crypto.randomUUID().slice(0, 12)}`;
  return { body: { ...cardPayment(amount, 'EUR', capture), reference }, reference };
}

async function pay(key: string, amount = 500, capture = false): Promise<string> {
  return (
    await json<{ id: string }>(await gateway(key, 'POST', '/payments', payment(amount, capture).body), 201)
  ).id;
}

async function objects(agentId: string): Promise<{ owned: Record<string, number>; unresolved: number }> {
  return (
    await json<{ objects: { owned: Record<string, number>; unresolved: number } }>(
      await admin(`/admin/agents/${agentId}`),
      200,
    )
  ).objects;
}

afterEach(async () => {
  await simFaults(null);
});

describe('object scope', { timeout: 60_000 }, () => {
  it('defaults a new agent to own where it writes and any where it only reads, and shows it', async () => {
    const agent = await createAgent({ payments: 'write', disputes: 'read' });
    expect(agent.scope).toEqual({ payments: 'own', disputes: 'any' });
    const widened = await createAgent({ payments: 'write' }, { scope: { payments: 'any' } });
    expect(widened.scope).toEqual({ payments: 'any' });
    // PATCH replaces the scope whole; the next call sees it.
    const patched = await json<{ scope: unknown }>(
      await admin(`/admin/agents/${agent.id}`, { method: 'PATCH', json: { scope: { disputes: 'own' } } }),
      200,
    );
    expect(patched.scope).toEqual({ payments: 'own', disputes: 'own' });
  });

  it('acts on its own payments; another agent’s is refused before anything is sent, and audited', async () => {
    const owner = await createAgent({ payments: 'write' });
    const other = await createAgent({ payments: 'write' });
    const mine = await pay(owner.key);
    const theirs = await pay(other.key);
    expect((await gateway(owner.key, 'GET', `/payments/${mine}`)).status).toBe(200);
    expect((await gateway(owner.key, 'GET', `/payments/${mine}/actions`)).status).toBe(200);
    expect((await gateway(owner.key, 'POST', `/payments/${mine}/captures`, { amount: 200 })).status).toBe(
      202,
    );

    const before = await simRequests();
    const refused = await notOwned(await gateway(owner.key, 'POST', `/payments/${theirs}/refunds`, {}));
    expect(refused.message).toContain('scope on payments is own');
    expect(refused.message).not.toContain(theirs);
    for (const [method, path] of [
      ['GET', `/payments/${theirs}`],
      ['POST', `/payments/${theirs}/captures`],
      ['POST', `/payments/${theirs}/voids`],
      ['POST', `/payments/${theirs}/authorizations`],
      // Whether or not it exists: the answer tells nothing about objects that are not the agent's.
      ['GET', '/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa'],
      // A list of the whole account is refused under own.
      ['GET', '/payments?reference=anything'],
    ] as const)
      await notOwned(await gateway(owner.key, method, path, method === 'POST' ? {} : undefined));
    expect(await simRequests()).toBe(before);

    const records = await auditFor(owner.id);
    const denied = records.filter((r) => r.reason === 'object_not_owned');
    expect(denied).toHaveLength(7);
    expect(denied.every((r) => r.decision === 'denied' && r.upstream_status === null)).toBe(true);
    expect(await objects(owner.id)).toEqual({ owned: { payment: 1 }, unresolved: 0 });

    // The same agent with scope `any` may act on it.
    const wide = await createAgent({ payments: 'write' }, { scope: { payments: 'any' } });
    expect((await gateway(wide.key, 'POST', `/payments/${theirs}/voids`, {})).status).toBe(202);
  });

  it('owns the disputes of its payments: read, listed by payment_id, answered; others refused', async () => {
    const agent = await createAgent({ payments: 'write', disputes: 'write' });
    const other = await createAgent({ payments: 'write' });
    const mine = await pay(agent.key, 700, true);
    const theirs = await pay(other.key, 700, true);
    const raise = async (paymentId: string) =>
      (
        await json<{ id: string }>(
          await sim('/_sim/disputes', { method: 'POST', as: 'admin', json: { payment_id: paymentId } }),
          201,
        )
      ).id;
    const myDispute = await raise(mine);
    const theirDispute = await raise(theirs);
    expect((await gateway(agent.key, 'GET', `/disputes/${myDispute}`)).status).toBe(200);
    expect((await gateway(agent.key, 'GET', `/disputes?payment_id=${mine}`)).status).toBe(200);
    expect(
      (await gateway(agent.key, 'PUT', `/disputes/${myDispute}/evidence`, { additional_evidence_text: 'x' }))
        .status,
    ).toBe(204);
    await notOwned(await gateway(agent.key, 'GET', `/disputes/${theirDispute}`));
    await notOwned(await gateway(agent.key, 'POST', `/disputes/${theirDispute}/accept`));
    await notOwned(await gateway(agent.key, 'GET', `/disputes?payment_id=${theirs}`));
    await notOwned(await gateway(agent.key, 'GET', '/disputes'));
    // The dispute is recorded as owned once its payment was seen to be the agent's.
    expect((await objects(agent.id)).owned).toEqual({ payment: 1, dispute: 1 });
  });

  it('covers customers, instruments, payment links, transfers and workflows', async () => {
    const grants = {
      customers: 'write',
      'tokens-instruments': 'write',
      'sessions-links': 'write',
      'payouts-balances': 'write',
      workflows: 'write',
    } as const;
    const agent = await createAgent(grants);
    const other = await createAgent(grants);
    const token = async () =>
      (
        await json<{ token: string }>(
          await sim('/tokens', {
            method: 'POST',
            as: 'public',
            json: {
              type: 'card',
              number: '4242424242424242',
              expiry_month: 12,
              expiry_year: 2030,
              cvv: '100',
            },
          }),
          201,
        )
      ).token;
    const kinds: Array<{
      create: () => Promise<[string, unknown]>;
      act: (id: string) => [string, string, unknown?];
      ok: number;
    }> = [
      {
        create: async () => ['/customers', { email: `${crypto.randomUUID()}@example.com`, name: 'A' }],
        act: (id) => ['PATCH', `/customers/${id}`, { name: 'B' }],
        ok: 204,
      },
      {
        create: async () => ['/instruments', { type: 'token', token: await token() }],
        act: (id) => ['GET', `/instruments/${id}`],
        ok: 200,
      },
      {
        create: async () => [
          '/payment-links',
          { amount: 1000, currency: 'EUR', reference: 'link', billing: { address: { country: 'NL' } } },
        ],
        act: (id) => ['GET', `/payment-links/${id}`],
        ok: 200,
      },
      {
        create: async () => [
          '/transfers',
          {
            reference: 'scope',
            transfer_type: 'commission',
            source: { id: 'ent_aaaaaaaaaaaaaaaaaaaaaaaaaa', amount: 100 },
            destination: { id: 'ent_bbbbbbbbbbbbbbbbbbbbbbbbbb' },
          },
        ],
        act: (id) => ['GET', `/transfers/${id}`],
        ok: 200,
      },
      {
        create: async () => [
          '/workflows',
          {
            name: 'scope',
            conditions: [{ type: 'event', events: { gateway: ['payment_approved'] } }],
            actions: [
              {
                type: 'webhook',
                url: 'https://example.com/hook',
                signature: { method: 'HMACSHA256', key: 'scope-test-signing-key' },
              },
            ],
          },
        ],
        act: (id) => ['DELETE', `/workflows/${id}`],
        ok: 204,
      },
    ];
    for (const kind of kinds) {
      const [path, body] = await kind.create();
      const mine = (await json<{ id: string }>(await gateway(agent.key, 'POST', path, body), 201)).id;
      const [path2, body2] = await kind.create();
      const theirs = (await json<{ id: string }>(await gateway(other.key, 'POST', path2, body2), 201)).id;
      const [method, onTheirs, actBody] = kind.act(theirs);
      await notOwned(await gateway(agent.key, method, onTheirs, actBody));
      const [, onMine] = kind.act(mine);
      expect((await gateway(agent.key, method, onMine, actBody)).status, onMine).toBe(kind.ok);
    }
    await notOwned(await gateway(agent.key, 'GET', '/workflows'));
    expect((await objects(agent.id)).owned).toEqual({
      customer: 1,
      instrument: 1,
      payment_link: 1,
      transfer: 1,
      workflow: 1,
    });
  });

  it('owns a payment lost to a 504 once a retry with its key answers', async () => {
    const agent = await createAgent({ payments: 'write' });
    const { body, reference } = payment(640);
    await simFaults(LOST);
    const lost = await gateway(agent.key, 'POST', '/payments', body, {}, SHORT);
    expect(lost.status).toBe(504);
    const key = lost.headers.get('cko-idempotency-key') ?? '';
    await simFaults(null);
    await settled(async () => (await paymentsWithReference(reference)).length > 0);
    const [made] = await paymentsWithReference(reference);
    if (!made) throw new Error('the simulator processed the payment');
    // The outcome (here: unknown) is appended after the answer; wait for it, not for the clock.
    await settled(async () => (await objects(agent.id)).unresolved === 1);
    expect(await objects(agent.id)).toEqual({ owned: {}, unresolved: 1 });

    const retry = await json<{ id: string }>(
      await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key }),
      201,
    );
    expect(retry.id).toBe(made.id);
    // The retry's answer names the payment; its outcome entry records the ownership after the answer.
    await settled(async () => (await objects(agent.id)).unresolved === 0);
    expect(await objects(agent.id)).toEqual({ owned: { payment: 1 }, unresolved: 0 });
    expect((await gateway(agent.key, 'POST', `/payments/${made.id}/captures`, {})).status).toBe(202);
    await runInDurableObject(env.AGENT.getByName(agent.id), (_o, state) => {
      const row = state.storage.sql
        .exec<{ via: string }>('SELECT via FROM owned_objects WHERE id = ?', made.id)
        .one();
      expect(row.via).toBe('retry');
    });
  });

  it('owns a payment lost to a 504 once a status read of it matches (reference, amount, currency)', async () => {
    const agent = await createAgent({ payments: 'write' });
    const other = await createAgent({ payments: 'write' });
    const { body, reference } = payment(650);
    // Another agent's payment with the same reference but another amount is not the agent's.
    const lookalike = await json<{ id: string }>(
      await gateway(other.key, 'POST', '/payments', { ...body, amount: 651 }),
      201,
    );
    await simFaults(LOST);
    expect((await gateway(agent.key, 'POST', '/payments', body, {}, SHORT)).status).toBe(504);
    await simFaults(null);
    await settled(async () => (await paymentsWithReference(reference)).length > 1);
    const made = (await paymentsWithReference(reference)).find((p) => p.id !== lookalike.id);
    if (!made) throw new Error('the simulator processed the payment');

    await notOwned(await gateway(agent.key, 'GET', `/payments/${lookalike.id}`));
    expect(await objects(agent.id)).toEqual({ owned: {}, unresolved: 1 });
    // The read itself resolves it: Bollard reads the payment inside the same round trip and matches it.
    expect((await gateway(agent.key, 'GET', `/payments/${made.id}`)).status).toBe(200);
    expect(await objects(agent.id)).toEqual({ owned: { payment: 1 }, unresolved: 0 });
    expect((await gateway(agent.key, 'POST', `/payments/${made.id}/voids`, {})).status).toBe(202);
  });

  it('resolves a lost payment without a reference (nothing to match a read with) by the retry with its key', async () => {
    const agent = await createAgent({ payments: 'write' });
    const { reference: _r, ...body } = cardPayment(660, 'EUR', false);
    await simFaults(LOST);
    const lost = await gateway(agent.key, 'POST', '/payments', body, {}, SHORT);
    expect(lost.status).toBe(504);
    await simFaults(null);
    const key = lost.headers.get('cko-idempotency-key') ?? '';
    // The stalled first attempt may still hold the key upstream: the retry waits it out (outbound client).
    const retried = await json<{ id: string }>(
      await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key }),
      201,
    );
    expect((await gateway(agent.key, 'GET', `/payments/${retried.id}`)).status).toBe(200);
    await runInDurableObject(env.AGENT.getByName(agent.id), (_o, state) => {
      const row = state.storage.sql
        .exec<{ via: string }>('SELECT via FROM owned_objects WHERE id = ?', retried.id)
        .one();
      expect(row.via).toBe('retry');
    });
  });

  it('waits, inside the one round trip, for a creation whose answer is on its way', async () => {
    const agent = await createAgent({ payments: 'write' });
    const stub = env.AGENT.getByName(agent.id);
    const keyHash = await hashAgentKey(agent.key);
    const request = (entry: string, params: Record<string, string>, requestId: string): BeginRequest => ({
      keyHash,
      requestId,
      channel: 'rest',
      atMs: Date.now(),
      method: 'POST',
      entry,
      params,
      refusal: null,
      givenKey: null,
      key: `k-${requestId}`,
      money: { amount: null, currency: null },
      object: { fingerprint: { reference: 'race', amount: 100, currency: 'EUR' }, paymentId: null },
    });
    const created = await stub.begin(request('requestPayment', {}, 'req_create'));
    if (created.kind !== 'started') throw new Error(created.kind);
    // The agent got its answer and calls again before the creation's outcome reached its object.
    const capture = stub.begin(
      request('capturePayment', { id: 'pay_raceaaaaaaaaaaaaaaaaaaaaa' }, 'req_capture'),
    );
    await stub.finish({
      seq: created.seq,
      atMs: Date.now(),
      latencyMs: 5,
      decision: 'allowed',
      reason: 'allowed',
      upstreamStatus: 201,
      upstreamRequestId: null,
      idempotencyKey: 'k-req_create',
      amount: null,
      currency: null,
      release: null,
      created: { kind: 'payment', id: 'pay_raceaaaaaaaaaaaaaaaaaaaaa', status: 'Authorized' },
    });
    expect((await capture).kind).toBe('started');
    // Another id is still refused once nothing is in flight.
    const stranger = await stub.begin(
      request('capturePayment', { id: 'pay_strangeraaaaaaaaaaaaaaaa' }, 'req_other'),
    );
    expect(stranger).toMatchObject({ kind: 'refused', reason: 'object_not_owned' });
  });

  it('answers an MCP tool call on an object the agent does not own as a tool error', async () => {
    const agent = await createAgent({ payments: 'write' });
    const other = await createAgent({ payments: 'write' });
    const theirs = await pay(other.key);
    const client = await mcpClient(agent.key);
    const result = await client.callTool({ name: 'capturePayment', arguments: { id: theirs, body: {} } });
    expect(result.isError).toBe(true);
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
    expect(JSON.parse(text)).toMatchObject({ status: 403, body: { error_codes: ['object_not_owned'] } });
    const [rec] = (await auditFor(agent.id)).filter((r) => r.channel === 'mcp');
    expect(rec).toMatchObject({ decision: 'denied', reason: 'object_not_owned', entry: 'capturePayment' });
  });

  it('keeps an agent made before object scope at any, until an operator sets one', async () => {
    const agent = await createAgent({ payments: 'write' });
    const other = await createAgent({ payments: 'write' });
    const theirs = await pay(other.key);
    await runInDurableObject(env.AGENT.getByName(agent.id), (_o, state) => {
      state.storage.sql.exec('UPDATE agent SET scope = NULL');
    });
    expect((await json<{ scope: unknown }>(await admin(`/admin/agents/${agent.id}`), 200)).scope).toEqual({
      payments: 'any',
    });
    expect((await gateway(agent.key, 'GET', `/payments/${theirs}`)).status).toBe(200);
    await updateAgent(agent.id, { scope: { payments: 'own' } });
    await notOwned(await gateway(agent.key, 'GET', `/payments/${theirs}`));
  });

  it('refuses a bad scope or budget with a 422 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ scope: { payments: 'mine' } }, 'scope_payments_invalid'],
      [{ scope: { refunds: 'own' } }, 'scope_refunds_invalid'],
      [
        { limits: { max_calls_per_hour: { voidPayment: 3 } } },
        'limits_max_calls_per_hour_voidPayment_invalid',
      ],
      [
        { limits: { max_calls_per_hour: { requestPayment: -1 } } },
        'limits_max_calls_per_hour_requestPayment_invalid',
      ],
      [{ limits: { max_amount_per_30_days: { eur: 100 } } }, 'limits_max_amount_per_30_days_eur_invalid'],
      [{ limits: { max_amount_per_7_days: { EUR: 1.5 } } }, 'limits_max_amount_per_7_days_EUR_invalid'],
      [{ limits: { max_amount_lifetime: 'lots' } }, 'limits_max_amount_lifetime_invalid'],
    ];
    for (const [extra, code] of cases) {
      const res = await admin('/admin/agents', {
        method: 'POST',
        json: { name: 'bad', grants: { payments: 'write' }, ...extra },
      });
      const body = await json<ErrorJson>(res, 422);
      expect(body.error_codes, JSON.stringify(extra)).toContain(code);
    }
  });
});
