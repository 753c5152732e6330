import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { GlobalVerification } from '../../../src/agents/admin/audit-verify';
import type { AuditRecord } from '../../../src/agents/objects/audit-calls';
import { settled } from '../../support/worker-fetch';
import {
  admin,
  auditFor,
  call,
  cardPayment,
  createAgent,
  gateway,
  indexCaughtUp,
  simConfig,
} from '../helpers';

/** Every chain, incrementally from the checkpoints (`full`: from each genesis). */
async function verify(full = false): Promise<GlobalVerification> {
  const res = await admin(`/admin/audit/verify${full ? '?full=true' : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as GlobalVerification;
}

interface ChainVerification {
  valid: boolean;
  count: number;
  head: { seq: number; hash: string };
  first_invalid_seq: number | null;
}

/** One agent's chain, whole, in its own object. */
async function verifyChain(agentId: string): Promise<ChainVerification> {
  const res = await admin(`/admin/audit/verify?agent=${agentId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ChainVerification;
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
    const before = await page('limit=1');
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
    // With one round trip per call, 500 requests reach the isolate's rate gate at once; on a starved machine
    // a few may wait past RATE_LIMIT_MAX_WAIT_MS and be shed (429), or pass a deadline (503 before sending,
    // 504 waiting for the answer). What this test checks is that every one of them is still recorded.
    const readerStatuses = results.filter((_, i) => i % agents.length < readers.length);
    const unexpected = readerStatuses.filter((s) => ![200, 429, 503, 504].includes(s));
    expect(unexpected, `reader statuses: ${JSON.stringify(countBy(readerStatuses))}`).toEqual([]);
    expect(readerStatuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(results.filter((s) => s === 403)).toHaveLength(200);
    for (const agent of agents) expect((await page(`agent=${agent.id}&limit=1`)).total_count).toBe(100);
    // Each agent's chain verifies on its own: 100 reads are a start and an outcome each; a refusal is one entry.
    // The outcomes land after the answers (carried by a next call, or on their own): wait for them all.
    await settled();
    for (const agent of readers)
      expect(await verifyChain(agent.id)).toMatchObject({ valid: true, count: 200 });
    for (const agent of denied)
      expect(await verifyChain(agent.id)).toMatchObject({ valid: true, count: 100 });
    // The global view (the index, fed by the agents' alarms) shows all 500 calls once it has caught up.
    for (const agent of agents) await indexCaughtUp(agent.id);
    const after = await page('limit=1');
    expect(after.total_count - before.total_count).toBeGreaterThanOrEqual(500);
    expect((await verify()).valid).toBe(true);
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

  it('exports NDJSON, one chain entry per line, by path or by Accept header', async () => {
    const agent = await createAgent({ disputes: 'read' });
    for (let i = 0; i < 3; i++) await gateway(agent.key, 'GET', '/disputes');
    // Outcomes are appended after the answers: `auditFor` awaits them (all six entries) before heads compare.
    await auditFor(agent.id);
    await indexCaughtUp(agent.id);
    for (const res of [
      await admin(`/admin/audit/export?agent=${agent.id}`),
      await admin(`/admin/audit?agent=${agent.id}`, { headers: { accept: 'application/x-ndjson' } }),
    ]) {
      expect(res.headers.get('content-type')).toContain('application/x-ndjson');
      const lines = (await res.text()).trim().split('\n');
      // Three calls sent upstream: a start and an outcome each, in chain order.
      expect(lines).toHaveLength(6);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const e of entries)
        expect(e).toMatchObject({ chain: agent.id, agent_id: agent.id, entry: 'listDisputes' });
      // Each call's outcome follows its own start; another call's start may come between them, because
      // the outcome is appended after the answer while the next call has already begun.
      expect(entries.filter((e) => e.kind === 'start')).toHaveLength(3);
      expect(entries.filter((e) => e.kind === 'outcome')).toHaveLength(3);
      entries.forEach((e, i) => {
        if (e.kind !== 'outcome') return;
        const start = entries.findIndex((s) => s.kind === 'start' && s.seq === e.call_seq);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(start).toBeLessThan(i);
      });
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    // The global export (from the index) holds every forwarded entry: what verification covers.
    const first = await verify();
    const everything = (await (await admin('/admin/audit/export')).text()).trim().split('\n');
    expect(everything.length).toBeGreaterThanOrEqual(first.count);
    expect(everything.length).toBeLessThanOrEqual((await verify()).count);
  });

  // Last in the file: it breaks the chain on purpose.
  it('detects tampering: an edited field, then a deleted record', async () => {
    const agent = await createAgent({ disputes: 'read' });
    for (let i = 0; i < 3; i++) await gateway(agent.key, 'GET', '/disputes');
    await indexCaughtUp(agent.id);
    expect((await verifyChain(agent.id)).valid).toBe(true);
    expect((await verify()).valid).toBe(true);
    const target = (await page(`agent=${agent.id}`)).data[1];
    if (!target) throw new Error('record');
    const stub = env.AGENT.getByName(agent.id);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE audit_entries SET decision = 'denied' WHERE seq = ?", target.seq);
    });
    expect(await verifyChain(agent.id)).toMatchObject({ valid: false, first_invalid_seq: target.seq });
    // Behind the checkpoint the incremental run does not look again; a full run does.
    expect((await verify()).valid).toBe(true);
    expect(await verify(true)).toMatchObject({
      valid: false,
      invalid_chain: agent.id,
      first_invalid_seq: target.seq,
    });
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE audit_entries SET decision = 'allowed' WHERE seq = ?", target.seq);
    });
    expect((await verifyChain(agent.id)).valid).toBe(true);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec('DELETE FROM audit_entries WHERE seq = ?', target.seq);
    });
    expect(await verifyChain(agent.id)).toMatchObject({ valid: false, first_invalid_seq: target.seq + 1 });
  });
});

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
