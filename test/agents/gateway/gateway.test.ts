import { describe, expect, it } from 'vitest';
import {
  ANY_SCOPE,
  auditFor,
  call,
  cardPayment,
  createAgent,
  gateway,
  simRequests,
  updateAgent,
} from '../helpers';

describe('agent keys', { timeout: 30_000 }, () => {
  it('accepts the key as Bearer or bare, as Checkout.com accepts its keys', async () => {
    const agent = await createAgent({ payments: 'write' });
    const bearer = await gateway(agent.key, 'POST', '/payments', cardPayment(500));
    expect(bearer.status).toBe(201);
    const bare = await gateway(
      null,
      'GET',
      `/payments/${((await bearer.json()) as { id: string }).id}`,
      undefined,
      {
        authorization: agent.key,
      },
    );
    expect(bare.status).toBe(200);
    expect(await bare.json()).toMatchObject({ amount: 500, currency: 'EUR' });
  });

  it('refuses missing, malformed and unknown keys with a 401 in the error shape, forwarding nothing', async () => {
    const before = await simRequests();
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'agent_key_missing'],
      [{ authorization: 'Bearer ' }, 'agent_key_missing'],
      [{ authorization: 'Bearer sk_sbox_devsecretkeyfullaccessaaaaq' }, 'agent_key_invalid'],
      [{ authorization: 'Basic YWJjOmRlZg==' }, 'agent_key_invalid'],
      [{ authorization: 'Bearer bak_short' }, 'agent_key_invalid'],
      [{ authorization: `Bearer bak_${'a'.repeat(40)}` }, 'agent_key_invalid'],
      [{ authorization: `bak_${'b'.repeat(40)} extra` }, 'agent_key_invalid'],
    ];
    for (const [headers, code] of cases) {
      const res = await gateway(null, 'GET', '/payments', undefined, headers);
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ error_type: 'unauthorized', error_codes: [code] });
      expect(body.request_id).toBe(res.headers.get('cko-request-id'));
      expect(JSON.stringify(body)).not.toContain('sk_sbox');
    }
    expect(await simRequests()).toBe(before);
  });

  it('refuses an expired key, and an extended expiry restores it', async () => {
    // A new agent cannot be created already expired (422); an update can end a key's validity now.
    const agent = await createAgent({ disputes: 'read' }, { expires_at: '2999-01-01T00:00:00Z' });
    const { admin } = await import('../helpers');
    const expired = await admin(`/admin/agents/${agent.id}`, {
      method: 'PATCH',
      json: { expires_at: '2020-01-01T00:00:00Z' },
    });
    expect(((await expired.json()) as { status: string }).status).toBe('expired');
    const res = await gateway(agent.key, 'GET', '/disputes');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_codes: ['agent_key_expired'] });
    const [rec] = await auditFor(agent.id);
    expect(rec).toMatchObject({ decision: 'denied', reason: 'agent_key_expired', upstream_status: null });
    await updateAgent(agent.id, { expires_at: '2999-01-01T00:00:00Z' });
    expect((await gateway(agent.key, 'GET', '/disputes')).status).toBe(200);
  });
});

describe('routing: only catalog methods are forwarded', { timeout: 30_000 }, () => {
  it('answers 404 for an unknown path and 405 (with Allow) for a known path with another method', async () => {
    const agent = await createAgent({ payments: 'write', customers: 'write' });
    const before = await simRequests();
    const unknown = await gateway(agent.key, 'GET', '/forex/quotes');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error_type: 'not_found', error_codes: ['route_not_found'] });
    const wrong = await gateway(agent.key, 'DELETE', '/payments/pay_x');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(await wrong.json()).toMatchObject({ error_type: 'method_not_allowed' });
    const traversal = await gateway(agent.key, 'GET', '/payments/..%2F_sim%2Fstats');
    expect(traversal.status).toBe(404);
    expect(await simRequests()).toBe(before);
    const records = await auditFor(agent.id);
    expect(records.map((r) => r.reason)).toEqual(
      expect.arrayContaining(['route_not_found', 'method_not_allowed']),
    );
    expect(records.every((r) => r.upstream_status === null)).toBe(true);
  });

  it('refuses a body that is not JSON before forwarding', async () => {
    const agent = await createAgent({ customers: 'write' });
    const res = await call('/agent/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_codes: ['body_invalid'] });
  });

  it('a refused call costs no upstream call', async () => {
    const agent = await createAgent({ payments: 'read' });
    const before = await simRequests();
    const res = await gateway(agent.key, 'POST', '/payments', cardPayment(100));
    expect(res.status).toBe(403);
    expect(await simRequests()).toBe(before);
  });
});

describe('wire compatibility', { timeout: 30_000 }, () => {
  it('passes upstream statuses and bodies through, errors included', async () => {
    // Scope `any`: an unknown payment is upstream's 404 (under `own` it is never sent: object_not_owned).
    const agent = await createAgent({ payments: 'write', customers: 'write' }, { scope: ANY_SCOPE });
    const invalid = await gateway(agent.key, 'POST', '/payments', { amount: 100, currency: 'EUR' });
    expect(invalid.status).toBe(422);
    const body = (await invalid.json()) as { error_type: string; error_codes: string[] };
    expect(body.error_type).toBe('request_invalid');
    expect(body.error_codes).toContain('payment_source_required');
    const missing = await gateway(agent.key, 'GET', '/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(missing.status).toBe(404);
    const created = await gateway(agent.key, 'POST', '/customers', { email: 'agent@example.com', name: 'A' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const patched = await gateway(agent.key, 'PATCH', `/customers/${id}`, { name: 'B' });
    expect(patched.status).toBe(204);
    expect(await patched.text()).toBe('');
    const listed = await gateway(agent.key, 'GET', '/payments?limit=1&skip=0');
    expect(listed.status).toBe(200);
  });

  it("passes the caller's Cko-Idempotency-Key through and records it", async () => {
    const agent = await createAgent({ payments: 'write' });
    const key = `agent-idem-${crypto.randomUUID()}`;
    const first = await gateway(agent.key, 'POST', '/payments', cardPayment(700), {
      'cko-idempotency-key': key,
    });
    const second = await gateway(agent.key, 'POST', '/payments', cardPayment(700), {
      'cko-idempotency-key': key,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const a = (await first.json()) as { id: string };
    const b = (await second.json()) as { id: string };
    expect(b.id).toBe(a.id);
    const records = await auditFor(agent.id);
    expect(records.map((r) => r.idempotency_key)).toEqual([key, key]);
    expect(records[0]).toMatchObject({ amount: 700, currency: 'EUR', upstream_status: 201 });
    expect(records[0]?.upstream_request_id).toBeTruthy();
  });
});
