import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import type { VoidReport } from '../../../src/agents/admin/revoke-voids';
import { admin, auditFor, cardPayment, createAgent, gateway, simFaults } from '../helpers';

type Revoked = { status: string; voids?: VoidReport };

async function pay(key: string, capture: boolean): Promise<string> {
  const res = await gateway(key, 'POST', '/payments', cardPayment(700, 'EUR', capture));
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The payment's status upstream, read with Bollard's own secret key (not through Bollard). */
async function statusOf(id: string): Promise<string> {
  const res = await (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM.fetch(
    `http://sim/payments/${id}`,
    {
      headers: { authorization: `Bearer ${env.CHECKOUT_SECRET_KEY}` },
    },
  );
  return ((await res.json()) as { status: string }).status;
}

async function revoke(
  agentId: string,
  init: RequestInit & { json?: unknown } = {},
  query = '',
): Promise<Response> {
  return admin(`/admin/agents/${agentId}/revoke${query}`, { method: 'POST', ...init });
}

afterEach(async () => {
  await simFaults(null);
});

describe('revoke and roll back', { timeout: 60_000 }, () => {
  it('voids the agent’s own open authorisations on request, lists what it could not, and audits each void', async () => {
    const agent = await createAgent({ payments: 'write' });
    const other = await createAgent({ payments: 'write' });
    const open = await pay(agent.key, false);
    const capturedLater = await pay(agent.key, false);
    expect((await gateway(agent.key, 'POST', `/payments/${capturedLater}/captures`, {})).status).toBe(202);
    await pay(agent.key, true); // captured at creation: never a candidate
    const notMine = await pay(other.key, false);

    const res = await revoke(agent.id, { json: { void_open_authorizations: true } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Revoked;
    expect(body.status).toBe('revoked');
    expect(body.voids?.voided).toEqual([
      {
        payment_id: open,
        action_id: expect.stringMatching(/^act_/),
        idempotency_key: expect.stringMatching(/^revoke-void-[0-9a-f]{32}$/),
      },
    ]);
    expect(body.voids?.not_voided).toEqual([
      { payment_id: capturedLater, reason: 'not_open', status: 'Captured' },
    ]);
    expect(body.voids?.remaining).toBe(0);
    expect(await statusOf(open)).toBe('Voided');
    expect(await statusOf(notMine)).toBe('Authorized');

    // Each void is a start and an outcome in the agent's own chain, sent by Bollard for the operator.
    const voids = (await auditFor(agent.id)).filter((r) => r.channel === 'admin');
    expect(voids).toHaveLength(1);
    expect(voids[0]).toMatchObject({
      entry: 'voidPayment',
      decision: 'allowed',
      upstream_status: 202,
      outcome: 'recorded',
      idempotency_key: body.voids?.voided[0]?.idempotency_key,
      agent_id: agent.id,
    });
    const chain = (await (await admin(`/admin/audit/verify?agent=${agent.id}`)).json()) as { valid: boolean };
    expect(chain.valid).toBe(true);

    // Again: nothing is open any more, and the agent stays revoked.
    const again = (await (await revoke(agent.id, {}, '?void_open_authorizations=true')).json()) as Revoked;
    expect(again.voids?.voided).toEqual([]);
    expect(again.voids?.not_voided.map((v) => [v.payment_id, v.reason, v.status])).toEqual([
      [capturedLater, 'not_open', 'Captured'],
      [open, 'not_open', 'Voided'],
    ]);
  });

  it('says why a void was refused upstream', async () => {
    const agent = await createAgent({ payments: 'write' });
    const open = await pay(agent.key, false);
    await simFaults({ routes: { 'POST /payments/{id}/voids': { error_rate: 1, status: 403 } } });
    const body = (await (
      await admin(`/admin/agents/${agent.id}?void_open_authorizations=true`, { method: 'DELETE' })
    ).json()) as Revoked;
    expect(body.status).toBe('revoked');
    expect(body.voids?.voided).toEqual([]);
    expect(body.voids?.not_voided).toEqual([
      { payment_id: open, reason: 'void_refused', upstream_status: 403, idempotency_key: expect.any(String) },
    ]);
    const [record] = (await auditFor(agent.id)).filter((r) => r.channel === 'admin');
    expect(record).toMatchObject({ entry: 'voidPayment', upstream_status: 403 });
  });

  it('revokes without voiding unless asked, and refuses a bad request before revoking', async () => {
    const agent = await createAgent({ payments: 'write' });
    const open = await pay(agent.key, false);
    for (const [json, code] of [
      [{ void_open_authorizations: 'yes' }, 'void_open_authorizations_invalid'],
      [{ void_everything: true }, 'body_invalid'],
    ] as const) {
      const res = await revoke(agent.id, { json });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error_codes: string[] }).error_codes).toEqual([code]);
    }
    expect((await revoke(agent.id, {}, '?void_open_authorizations=maybe')).status).toBe(422);
    expect(((await (await admin(`/admin/agents/${agent.id}`)).json()) as { status: string }).status).toBe(
      'active',
    );
    const plain = (await (await revoke(agent.id)).json()) as Revoked;
    expect(plain.status).toBe('revoked');
    expect(plain.voids).toBeUndefined();
    expect(await statusOf(open)).toBe('Authorized');
  });
});
