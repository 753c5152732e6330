import { describe, expect, it } from 'vitest';
import { AGENT_SIZE_SAMPLE } from '../../../src/agents/admin/storage-probe';
import { admin, createAgent, gateway, indexCaughtUp } from '../helpers';

describe('GET /admin/status: the agents objects storage', { timeout: 60_000 }, () => {
  it('reports the retention settings and the size of the directory, the index, anonymous and a sample of agents', async () => {
    const agents = await Promise.all(
      [1, 2, 3].map((n) => createAgent({ disputes: 'read' }, { name: `sized ${n}` })),
    );
    for (const agent of agents) await gateway(agent.key, 'GET', '/disputes?limit=1');
    await gateway(null, 'GET', '/disputes');
    await indexCaughtUp(agents[0]?.id ?? '');
    const res = await admin('/admin/status');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { storage: { agents: Record<string, unknown> } };
    const storage = body.storage.agents;
    expect(storage).toMatchObject({
      chains_retention_days: 400,
      anonymous_retention_days: 90,
      index_retention_days: 400,
      index_anonymous_retention_days: 90,
      bad_key_limit_per_minute: 30,
      directory: { bytes: expect.any(Number) },
      index: { bytes: expect.any(Number) },
      anonymous: { bytes: expect.any(Number) },
      agents_count: 3,
      agents_probed: 3,
      agents_failed: 0,
      agents_sampled_bytes: expect.any(Number),
      agents_largest_bytes: expect.any(Number),
      agents_estimated_total_bytes: expect.any(Number),
    });
    for (const name of ['directory', 'index', 'anonymous'])
      expect((storage[name] as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(storage.reported).toBeUndefined();
    expect(AGENT_SIZE_SAMPLE).toBeLessThanOrEqual(16);
  });
});
