import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { verifyNdjson } from '../../../docs/verify-audit.mjs';
import type { GlobalVerification } from '../../../src/agents/admin/audit-verify';
import type { EntryInput } from '../../../src/agents/model/audit-entry';
import { auditRetention } from '../../../src/agents/model/retention';
import type { AgentObject } from '../../../src/agents/objects/agent/agent-object';
import type { PruneResult } from '../../../src/agents/objects/agent/audit-chain';
import { type ChainCheck, PRUNE_BATCH } from '../../../src/agents/objects/agent/chain';
import { INDEX_PRUNE_BATCH } from '../../../src/agents/objects/audit-index';
import { admin, auditFor, createAgent, gateway, indexCaughtUp } from '../helpers';

/**
 * Resolves with the wall clock once it reads later than `t`: entries take their time from the same
 * clock, so an entry written after this is later than `t`, and one written before is not.
 */
async function clockPast(t: number): Promise<number> {
  return vi.waitFor(
    () => {
      const now = Date.now();
      if (now <= t) throw new Error(`the clock reads ${now}, not yet past ${t}`);
      return now;
    },
    { interval: 1, timeout: 5_000 },
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

async function verifyAll(full = false): Promise<GlobalVerification> {
  const res = await admin(`/admin/audit/verify${full ? '?full=true' : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as GlobalVerification;
}

interface AgentVerification {
  valid: boolean;
  count: number;
  head: { seq: number; hash: string };
  first_invalid_seq: number | null;
  from_genesis: boolean;
  pruned_through: { seq: number; hash: string; count: number } | null;
}

async function verifyAgent(id: string): Promise<AgentVerification> {
  const res = await admin(`/admin/audit/verify?agent=${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AgentVerification;
}

/** Runs the audit archive: pruning never passes what it holds (src/proof, docs/agents.md). */
async function archive(): Promise<void> {
  const res = await admin('/admin/audit/archive', { method: 'POST' });
  expect(res.status).toBe(200);
}

async function exportText(query = ''): Promise<string> {
  const res = await admin(`/admin/audit/export${query}`);
  expect(res.status).toBe(200);
  return new TextDecoder().decode(await res.arrayBuffer());
}

/** A refused call with a chosen time, appended straight into a chain (building a long, old chain quickly). */
function oldEntry(agentId: string, atMs: number, i: number): EntryInput {
  return {
    kind: 'call',
    call_seq: null,
    at_ms: atMs,
    agent_id: agentId,
    agent_name: 'old',
    channel: 'rest',
    method: 'GET',
    path_template: '/disputes',
    entry: 'listDisputes',
    area: 'disputes',
    access: 'read',
    decision: 'denied',
    reason: 'grant_required',
    upstream_status: null,
    latency_ms: 1,
    request_id: `req_old${i}`,
    upstream_request_id: null,
    idempotency_key: null,
    amount: null,
    currency: null,
  };
}

const RETENTION_MS = auditRetention(env).chainsMs;

describe('audit retention: pruning behind a checkpoint', { timeout: 120_000 }, () => {
  it('defaults: 400 days for agents, 90 for anonymous, the index no longer than the chains', () => {
    expect(auditRetention(env)).toEqual({
      chainsMs: 400 * DAY_MS,
      anonymousMs: 90 * DAY_MS,
      indexMs: 400 * DAY_MS,
      indexAnonymousMs: 90 * DAY_MS,
    });
    const custom = auditRetention({
      ...env,
      AUDIT_RETENTION_DAYS: '30',
      AUDIT_INDEX_RETENTION_DAYS: '60',
      AUDIT_ANONYMOUS_RETENTION_DAYS: 'soon',
    } as Env);
    expect(custom).toEqual({
      chainsMs: 30 * DAY_MS,
      anonymousMs: 90 * DAY_MS,
      indexMs: 30 * DAY_MS,
      indexAnonymousMs: 30 * DAY_MS,
    });
  });

  it('prunes past the verification checkpoint; the chain still verifies per agent, globally and offline', async () => {
    const agent = await createAgent({ disputes: 'read' });
    const stub = env.AGENT.getByName(agent.id);
    // Each call's outcome is in before the next call starts (outcomes follow the answers), so the chain
    // holds start, outcome, start, outcome, … and the entry numbers below are fixed.
    const calls = async (n: number) => {
      for (let i = 0; i < n; i++) {
        expect((await gateway(agent.key, 'GET', '/disputes?limit=1')).status).toBe(200);
        await auditFor(agent.id);
      }
      await indexCaughtUp(agent.id);
    };
    // Entries 1-4, verified globally: the index's checkpoint for this chain is entry 4.
    await calls(2);
    const first = await verifyAll();
    expect(first.valid).toBe(true);
    expect(first.ranges.find((r) => r.chain === agent.id)).toMatchObject({ from_seq: 0, to_seq: 4 });
    // Entries 5-8, then the clock passes the last of them (`mid`), then 9-12: `mid` splits them by time.
    await calls(2);
    const eighth = (await stub.entries(0, 100)).at(-1);
    expect(eighth?.seq).toBe(8);
    const mid = await clockPast(eighth?.at_ms ?? Number.POSITIVE_INFINITY);
    await clockPast(mid);
    await calls(2);

    // As if 400 days had passed since `mid`: entries 1-8 are older than the retention, 9-12 are not. Until
    // the archive holds them, none goes.
    expect(await stub.prune(mid + RETENTION_MS)).toMatchObject({ pruned: 0, through: null });
    await archive();
    const pruned: PruneResult = await stub.prune(mid + RETENTION_MS);
    expect(pruned).toMatchObject({ pruned: 8, more: false, blocked: null, through: { seq: 8, count: 8 } });
    const anchor = pruned.through;
    if (!anchor) throw new Error('anchor');
    expect((await stub.entries(0, 100)).map((e) => e.seq)).toEqual([9, 10, 11, 12]);
    expect((await stub.entries(0, 100))[0]?.prev_hash).toBe(anchor.hash);
    // Nothing more is due yet.
    expect(await stub.prune(mid + RETENTION_MS)).toMatchObject({ pruned: 0, more: false });

    // Per agent: from the anchor to the head.
    const own = await verifyAgent(agent.id);
    expect(own).toMatchObject({
      valid: true,
      count: 4,
      head: { seq: 12 },
      from_genesis: false,
      pruned_through: { seq: 8, hash: anchor.hash, count: 8 },
    });
    const page = (await (await admin(`/admin/audit?agent=${agent.id}`)).json()) as { total_count: number };
    expect(page.total_count).toBe(2);

    // Globally, incrementally: the checkpoint (4) is inside the pruned prefix, so the chain starts at its
    // anchor (8), which the index's copy (not pruned yet) confirms.
    const second = await verifyAll();
    expect(second.valid).toBe(true);
    expect(second.ranges.find((r) => r.chain === agent.id)).toEqual({
      chain: agent.id,
      from_seq: 4,
      start_seq: 8,
      to_seq: 12,
    });

    // The index prunes its own copy on the same rule; its anchor is the chain's.
    const index = env.AUDIT_INDEX.getByName('global');
    expect(await index.hashAt(agent.id, 8)).toBe(anchor.hash);
    const indexPruned = await index.prune(mid + RETENTION_MS);
    expect(indexPruned.pruned).toBeGreaterThanOrEqual(8);
    expect(await index.hashAt(agent.id, 8)).toBe(anchor.hash);
    expect(await index.hashAt(agent.id, 5)).toBeNull();
    const globalPage = (await (await admin('/admin/audit?limit=1000')).json()) as {
      data: Array<{ chain: string; seq: number }>;
    };
    // The two calls left (9-12); which seqs their starts got depends on whether an outcome, appended after
    // its answer, came before the next call's start: the agent's own view says.
    const ownPage = (await (await admin(`/admin/audit?agent=${agent.id}`)).json()) as {
      data: Array<{ seq: number }>;
    };
    const ownSeqs = ownPage.data.map((r) => r.seq).sort((a, b) => a - b);
    expect(ownSeqs).toHaveLength(2);
    expect(
      globalPage.data
        .filter((r) => r.chain === agent.id)
        .map((r) => r.seq)
        .sort((a, b) => a - b),
    ).toEqual(ownSeqs);

    // New entries after the pruning: incremental and full runs both verify.
    await calls(1);
    const third = await verifyAll();
    expect(third.valid).toBe(true);
    expect(third.ranges.find((r) => r.chain === agent.id)).toEqual({
      chain: agent.id,
      from_seq: 12,
      start_seq: 12,
      to_seq: 14,
    });
    const full = await verifyAll(true);
    expect(full.valid).toBe(true);
    expect(full.ranges.find((r) => r.chain === agent.id)).toMatchObject({
      from_seq: 0,
      start_seq: 8,
      to_seq: 14,
    });

    // Offline: the agent's export starts after the checkpoint and ends with the checkpoint line.
    const text = await exportText(`?agent=${agent.id}`);
    const lines = text.trim().split('\n');
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({
      kind: 'checkpoint',
      chain: agent.id,
      seq: 8,
      hash: anchor.hash,
      count: 8,
    });
    const [result] = verifyNdjson(text);
    expect(result).toMatchObject({
      chain: agent.id,
      valid: true,
      entries: 6,
      from_genesis: false,
      from_checkpoint: { seq: 8, hash: anchor.hash },
      head: (await verifyAgent(agent.id)).head,
    });
    // The global export (the index's copy, with its checkpoint lines) verifies too.
    const everything = verifyNdjson(await exportText());
    expect(everything.find((r) => r.chain === agent.id)).toMatchObject({
      valid: true,
      entries: 6,
      from_checkpoint: { seq: 8 },
    });
    expect(everything.every((r) => r.valid)).toBe(true);

    // And it still catches what it should: an entry missing right after the checkpoint, a forged checkpoint.
    const entries = lines.slice(0, -1);
    expect(verifyNdjson([...entries.slice(1), lines.at(-1)].join('\n'))[0]).toMatchObject({
      valid: false,
      first_invalid_seq: 9,
      problem: 'entry missing',
    });
    const forged = { ...(JSON.parse(lines.at(-1) as string) as object), hash: 'f'.repeat(64) };
    expect(verifyNdjson([...entries, JSON.stringify(forged)].join('\n'))[0]).toMatchObject({
      valid: false,
      first_invalid_seq: 9,
    });
    // Without its checkpoint line the export is only a partial chain.
    expect(verifyNdjson(entries.join('\n'))[0]).toMatchObject({
      valid: true,
      from_genesis: false,
      from_checkpoint: null,
    });
  });

  it('prunes at most 500 entries per alarm and comes back a second later while more remain', async () => {
    const agent = await createAgent({ disputes: 'read' });
    const stub = env.AGENT.getByName(agent.id);
    const old = Date.now() - RETENTION_MS - 30 * DAY_MS;
    // 1,200 entries older than the retention, then one of today. The alarm is pushed an hour out so that
    // only runDurableObjectAlarm runs it.
    await runInDurableObject(stub, async (instance: AgentObject, state) => {
      for (let i = 0; i < 1_200; i++) await instance.record(agent.id, oldEntry(agent.id, old + i, i));
      await instance.record(agent.id, oldEntry(agent.id, Date.now(), 1_200));
      await state.storage.setAlarm(Date.now() + HOUR_MS);
    });
    // The first alarm forwards them all to the index but prunes nothing: the archive holds none yet. The
    // archive run tells the chain's object, which looks again a second later.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.prunedThrough()).toBeNull();
    await runInDurableObject(stub, (_instance: AgentObject, state) =>
      state.storage.setAlarm(Date.now() + HOUR_MS),
    );
    await indexCaughtUp(agent.id);
    await archive();
    const throughs: number[] = [];
    const nextAlarms: number[] = [];
    for (let pass = 0; pass < 5; pass++) {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      throughs.push((await stub.prunedThrough())?.seq ?? 0);
      const next = await runInDurableObject(stub, async (_instance: AgentObject, state) => {
        const at = await state.storage.getAlarm();
        await state.storage.setAlarm(Date.now() + HOUR_MS);
        return at;
      });
      nextAlarms.push((next ?? 0) - Date.now());
      if (throughs.at(-1) === 1_200) break;
    }
    expect(throughs).toEqual([PRUNE_BATCH, 2 * PRUNE_BATCH, 1_200]);
    // While more remained, a second later; then no sooner than a day (today's entry is far from expiring).
    expect(nextAlarms[0]).toBeLessThanOrEqual(1_500);
    expect(nextAlarms[1]).toBeLessThanOrEqual(1_500);
    expect(nextAlarms[2]).toBeGreaterThan(DAY_MS - 60_000);
    const check: ChainCheck = await stub.verify();
    expect(check).toMatchObject({ valid: true, checked: 1, head_seq: 1_201, pruned_through: { seq: 1_200 } });

    // The index (fed by those alarms) prunes its copy on its own alarm, in the same bounded passes.
    await indexCaughtUp(agent.id);
    const index = env.AUDIT_INDEX.getByName('global');
    const indexThroughs: number[] = [];
    for (let pass = 0; pass < 10; pass++) {
      if (!(await runDurableObjectAlarm(index))) break;
      const anchor = (await index.anchors('', 1000)).find((a) => a.chain === agent.id);
      indexThroughs.push(anchor?.seq ?? 0);
      const next = await runInDurableObject(index, async (_instance, state) => {
        const at = await state.storage.getAlarm();
        await state.storage.setAlarm(Date.now() + HOUR_MS);
        return at;
      });
      if (indexThroughs.at(-1) === 1_200) {
        expect((next ?? 0) - Date.now()).toBeGreaterThan(HOUR_MS - 60_000);
        break;
      }
      expect((next ?? 0) - Date.now()).toBeLessThanOrEqual(1_500);
    }
    expect(indexThroughs.at(-1)).toBe(1_200);
    for (const [i, seq] of indexThroughs.entries())
      expect(seq - (indexThroughs[i - 1] ?? 0)).toBeLessThanOrEqual(INDEX_PRUNE_BATCH);
    expect(await verifyAll()).toMatchObject({ valid: true });
    // Appends go on from the anchor, never from 1.
    expect((await gateway(agent.key, 'GET', '/disputes?limit=1')).status).toBe(200);
    await auditFor(agent.id);
    expect((await stub.verify()).head_seq).toBe(1_203);
  });

  it('does not prune a prefix that does not verify: the evidence stays', async () => {
    const agent = await createAgent({ disputes: 'read' });
    const stub = env.AGENT.getByName(agent.id);
    for (let i = 0; i < 3; i++) await gateway(agent.key, 'GET', '/disputes?limit=1');
    await auditFor(agent.id);
    await indexCaughtUp(agent.id);
    await archive();
    await runInDurableObject(stub, (_instance: AgentObject, state) => {
      state.storage.sql.exec(
        "UPDATE audit_entries SET reason = 'allowed', decision = 'denied' WHERE seq = 2",
      );
    });
    const result = await stub.prune(Date.now() + RETENTION_MS);
    expect(result).toMatchObject({ pruned: 0, blocked: 2, through: null });
    expect(await verifyAgent(agent.id)).toMatchObject({
      valid: false,
      first_invalid_seq: 2,
      from_genesis: true,
    });
    // Put it back so the file's global verification stays clean.
    await runInDurableObject(stub, (_instance: AgentObject, state) => {
      state.storage.sql.exec(
        "UPDATE audit_entries SET reason = 'allowed', decision = 'allowed' WHERE seq = 2",
      );
    });
    expect(await verifyAgent(agent.id)).toMatchObject({ valid: true });
  });
});
