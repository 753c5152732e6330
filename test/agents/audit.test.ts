import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/agents/audit-record';
import { admin, call, cardPayment, createAgent, gateway, simConfig } from './helpers';

interface Verification {
  valid: boolean;
  count: number;
  head: string;
  first_invalid_seq: number | null;
}

async function verify(): Promise<Verification> {
  const res = await admin('/admin/audit/verify');
  expect(res.status).toBe(200);
  return (await res.json()) as Verification;
}

async function page(
  query: string,
): Promise<{ total_count: number; limit: number; skip: number; data: AuditRecord[] }> {
  const res = await admin(`/admin/audit?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { total_count: number; limit: number; skip: number; data: AuditRecord[] };
}

describe('audit log', { timeout: 120_000 }, () => {
  it('records 500 concurrent calls from several agents as 500 records, and the chain verifies', async () => {
    const readers = await Promise.all(
      [1, 2, 3].map((n) => createAgent({ disputes: 'read' }, { name: `reader ${n}` })),
    );
    const denied = await Promise.all([1, 2].map((n) => createAgent({}, { name: `no grant ${n}` })));
    const agents = [...readers, ...denied];
    const before = await verify();
    // The point is Bollard's bookkeeping, not the account's rate limit: lift the simulator's and the governor's read budgets.
    await simConfig({ reads_per_second: 100_000 });
    await env.RATE_GOVERNOR.getByName('account').configure({ readsPerSecond: 100_000 });
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => {
        const agent = agents[i % agents.length];
        if (!agent) throw new Error('agent');
        return gateway(agent.key, 'GET', '/disputes?limit=1').then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        });
      }),
    );
    await simConfig({ reads_per_second: 100 });
    await env.RATE_GOVERNOR.getByName('account').configure(null);
    expect(results.filter((s) => s === 200)).toHaveLength(300);
    expect(results.filter((s) => s === 403)).toHaveLength(200);
    for (const agent of agents) expect((await page(`agent=${agent.id}&limit=1`)).total_count).toBe(100);
    const after = await verify();
    expect(after.valid).toBe(true);
    expect(after.count - before.count).toBe(500);
  });

  it('filters by agent, decision, area and time, with limit/skip/total_count', async () => {
    const agent = await createAgent({ payments: 'read' });
    const start = new Date(Date.now() - 1).toISOString();
    await gateway(agent.key, 'GET', '/payments?limit=1');
    await gateway(agent.key, 'POST', '/payments', cardPayment(100));
    await gateway(agent.key, 'GET', '/disputes');
    const all = await page(`agent=${agent.id}`);
    expect(all.total_count).toBe(3);
    expect(all.data.map((r) => r.seq)).toEqual([...all.data.map((r) => r.seq)].sort((a, b) => a - b));
    expect((await page(`agent=${agent.id}&decision=denied`)).total_count).toBe(2);
    expect((await page(`agent=${agent.id}&decision=allowed`)).total_count).toBe(1);
    expect((await page(`agent=${agent.id}&area=disputes`)).data.map((r) => r.reason)).toEqual([
      'grant_required',
    ]);
    expect((await page(`agent=${agent.id}&from=${start}`)).total_count).toBe(3);
    expect((await page(`agent=${agent.id}&to=${start}`)).total_count).toBe(0);
    const second = await page(`agent=${agent.id}&limit=1&skip=1`);
    expect(second).toMatchObject({ total_count: 3, limit: 1, skip: 1 });
    expect(second.data[0]?.seq).toBe(all.data[1]?.seq);
    const bad = await admin('/admin/audit?decision=maybe');
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error_codes: ['decision_invalid'] });
    expect((await admin('/admin/audit?limit=0')).status).toBe(422);
    expect((await call('/admin/audit')).status).toBe(401);
  });

  it('never holds keys, card numbers or raw bodies', async () => {
    const agent = await createAgent({ payments: 'write' });
    await gateway(agent.key, 'POST', '/payments', cardPayment(4242));
    const text = JSON.stringify(await page(`agent=${agent.id}`));
    expect(text).not.toContain(agent.key);
    expect(text).not.toContain('4242424242424242');
    expect(text).not.toContain('sk_sbox');
    expect(text).not.toContain('agents-4242');
    expect(text).toContain('"path_template":"/payments"');
  });

  it('exports NDJSON, one record per line, by path or by Accept header', async () => {
    const agent = await createAgent({ disputes: 'read' });
    for (let i = 0; i < 3; i++) await gateway(agent.key, 'GET', '/disputes');
    for (const res of [
      await admin(`/admin/audit/export?agent=${agent.id}`),
      await admin(`/admin/audit?agent=${agent.id}`, { headers: { accept: 'application/x-ndjson' } }),
    ]) {
      expect(res.headers.get('content-type')).toContain('application/x-ndjson');
      const lines = (await res.text()).trim().split('\n');
      expect(lines).toHaveLength(3);
      for (const line of lines)
        expect(JSON.parse(line)).toMatchObject({ agent_id: agent.id, entry: 'listDisputes' });
    }
    const everything = (await (await admin('/admin/audit/export')).text()).trim().split('\n');
    expect(everything.length).toBe((await verify()).count);
  });

  // Last in the file: it breaks the chain on purpose.
  it('detects tampering: an edited field, then a deleted record', async () => {
    const agent = await createAgent({ disputes: 'read' });
    for (let i = 0; i < 3; i++) await gateway(agent.key, 'GET', '/disputes');
    expect((await verify()).valid).toBe(true);
    const target = (await page(`agent=${agent.id}`)).data[1];
    if (!target) throw new Error('record');
    const stub = env.AUDIT_LOG.getByName('global');
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE audit SET decision = 'denied' WHERE seq = ?", target.seq);
    });
    expect(await verify()).toMatchObject({ valid: false, first_invalid_seq: target.seq });
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE audit SET decision = 'allowed' WHERE seq = ?", target.seq);
    });
    expect((await verify()).valid).toBe(true);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec('DELETE FROM audit WHERE seq = ?', target.seq);
    });
    expect(await verify()).toMatchObject({ valid: false, first_invalid_seq: target.seq + 1 });
  });
});
