import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { admin, call, createAgent, gateway } from '../helpers';

describe('admin API: agents', { timeout: 30_000 }, () => {
  it('refuses without the admin token', async () => {
    const res = await call('/admin/agents', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const wrong = await call('/admin/agents', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('creates an agent, returns its key once, and never shows it again', async () => {
    const created = await createAgent({ payments: 'read', disputes: 'write' }, { name: 'ops bot' });
    // The key names its agent (so a call is one round trip to that agent's object) and carries 200 secret bits.
    expect(created.key).toMatch(/^bak_[a-z2-7]{26}_[a-z2-7]{40}$/);
    expect(created.key.slice(4, 30)).toBe(created.id.slice(4));
    expect(created).toMatchObject({
      name: 'ops bot',
      status: 'active',
      grants: { payments: 'read', disputes: 'write' },
    });
    const got = await admin(`/admin/agents/${created.id}`);
    expect(got.status).toBe(200);
    const text = await got.text();
    expect(text).not.toContain(created.key);
    expect(JSON.parse(text)).toMatchObject({ id: created.id, key_prefix: `${created.key.slice(0, 35)}…` });
    const list = (await (await admin('/admin/agents?limit=1000')).json()) as {
      total_count: number;
      data: { id: string }[];
    };
    expect(list.data.map((a) => a.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain(created.key);
  });

  it('names the bad field in a 422', async () => {
    const res = await admin('/admin/agents', {
      method: 'POST',
      json: { name: 'x', grants: { refunds: 'write' } },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error_codes: string[]; message: string };
    expect(body.error_codes).toEqual(['grants_refunds_invalid']);
    const access = await admin('/admin/agents', {
      method: 'POST',
      json: { name: 'x', grants: { payments: 'admin' } },
    });
    expect(((await access.json()) as { error_codes: string[] }).error_codes).toEqual([
      'grants_payments_invalid',
    ]);
    const limits = await admin('/admin/agents', {
      method: 'POST',
      json: { name: 'x', grants: {}, limits: { max_amount_per_call: { eur: 5 } } },
    });
    expect(limits.status).toBe(422);
    const missing = await admin('/admin/agents', { method: 'POST', json: { grants: {} } });
    expect(((await missing.json()) as { error_codes: string[] }).error_codes).toEqual(['name_invalid']);
  });

  it('updates grants, and the next call sees them', async () => {
    const agent = await createAgent({});
    expect((await gateway(agent.key, 'GET', '/disputes')).status).toBe(403);
    const patched = await admin(`/admin/agents/${agent.id}`, {
      method: 'PATCH',
      json: { grants: { disputes: 'read' } },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ grants: { disputes: 'read' } });
    expect((await gateway(agent.key, 'GET', '/disputes')).status).not.toBe(403);
  });

  it('rotates a key: the old one stops at once, the new one works', async () => {
    const agent = await createAgent({ disputes: 'read' });
    const res = await admin(`/admin/agents/${agent.id}/rotate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { key: string };
    expect(rotated.key).not.toBe(agent.key);
    expect((await gateway(agent.key, 'GET', '/disputes')).status).toBe(401);
    expect((await gateway(rotated.key, 'GET', '/disputes')).status).not.toBe(401);
  });

  it('revokes an agent: effective for the next call; a revoked agent cannot be rotated', async () => {
    const agent = await createAgent({ disputes: 'read' });
    expect((await gateway(agent.key, 'GET', '/disputes')).status).not.toBe(401);
    const res = await admin(`/admin/agents/${agent.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'revoked' });
    const after = await gateway(agent.key, 'GET', '/disputes');
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({
      error_type: 'unauthorized',
      error_codes: ['agent_key_invalid'],
    });
    expect((await admin(`/admin/agents/${agent.id}/rotate`, { method: 'POST' })).status).toBe(409);
  });

  it('answers 404 for an unknown agent id', async () => {
    const res = await admin('/admin/agents/agt_nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_codes: ['agent_not_found'] });
  });

  it('reports the upstream scopes the active grants need, and no more', async () => {
    const res = await admin('/admin/agents/upstream-scopes');
    const { scopes } = (await res.json()) as { scopes: string[] };
    // Earlier tests in this file granted disputes read (and write to one agent): their scopes appear.
    expect(scopes).toContain('disputes:view');
    expect(scopes).not.toContain('gateway');
  });

  it("requests each call's token with its own agent's scopes; the directory keeps the union of active agents'", async () => {
    const workflows = await createAgent({ workflows: 'write' });
    const balances = await createAgent({ 'payouts-balances': 'read' });
    // Per call: only the calling agent's grants (least privilege without asking any other object).
    const own = await env.AGENT.getByName(balances.id).upstreamScopes();
    expect(own).toContain('fx');
    expect(own).not.toContain('flow:workflows');
    const union = async () =>
      ((await (await admin('/admin/agents/upstream-scopes')).json()) as { scopes: string[] }).scopes;
    expect(await union()).toEqual(expect.arrayContaining(['flow:workflows', 'fx']));
    await admin(`/admin/agents/${workflows.id}`, { method: 'DELETE' });
    const after = await union();
    expect(after).toContain('fx');
    expect(after).not.toContain('flow:workflows');
    expect(after).not.toContain('gateway');
  });
});
