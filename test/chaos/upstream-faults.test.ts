import { env } from 'cloudflare:workers';
import { afterAll, describe, expect, it } from 'vitest';
import { accountGovernor } from '../../src/ratelimit/stubs';
import { chaosCaseCount, chaosReport, runChaosMatrix } from '../support/chaos/matrix';
import { ANSWER_FAULTS } from '../support/chaos/methods';
import type { CaseResult } from '../support/chaos/run-case';
import { agentMcp, agentRest, createAgentKey, type Surface, storefront } from '../support/chaos/surfaces';
import { type FetchLike, SimControl } from '../support/chaos/upstream-setup';
import { workerFetch } from '../support/worker-fetch';

/**
 * The chaos suite's faults that an answer carries — upstream 500, an edge proxy's HTML 502, 429
 * throttling, a stall the server still finishes after Bollard gave up — in workerd: Bollard's own
 * `fetch` with its real Durable Objects, the simulator beside it as an auxiliary Worker (the
 * CHECKOUT_SIM binding) with its fault settings. Every money-moving method × each fault (on every
 * attempt, and on every other one) × each surface that exposes it (agent REST, MCP, the storefront's
 * submit): one logical call under the fault, then the caller's retry with the key it was given, checked
 * against docs/operations.md ("Failure semantics") by the same cases as the e2e tier's cut connections
 * (test/e2e/chaos.test.ts, which needs real sockets): exactly one upstream effect, a 2xx only with the
 * resource, never a 4xx/429 for something that happened, 504 `upstream_outcome_unknown` with the key
 * only when the outcome could not be learned, and the retry gets the original.
 */
const BASE = 'http://bollard.test';
// Short deadlines keep the stalls and exhausted retries cheap: an attempt gives up after 1 s, the call
// after 2.5 s (as in the e2e tier: shorter, and the rate gate's wait after the 429 cases' throttle reports
// can outlast a call's budget, a 503 "not sent"); a stalled request is answered after 3 s, when Bollard has
// given up.
const DEADLINE_MS = 2_500;
const STALL_MS = 3_000;
const VARS: Partial<Record<keyof Env, string>> = {
  STOREFRONT_ORDER_MODE: 'open',
  STOREFRONT_ORIGINS: BASE,
  AGENT_UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
  STOREFRONT_UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
  UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000',
  STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '1000',
};
const bollard: FetchLike = (url, init) => workerFetch(url, init, { ...env, ...VARS } as Env);
const simulator: FetchLike = (url, init) =>
  (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM.fetch(url, init);

const surfaces: Surface[] = [];
let results: CaseResult[] = [];

afterAll(async () => {
  await accountGovernor(env).configure(null);
  await Promise.all(surfaces.map((s) => s.close().catch(() => undefined)));
  const { broken, firstAnswers } = chaosReport(results);
  console.log(
    `chaos (answers): ${results.length} cases, ${broken.length} broken; first answers: ${firstAnswers}`,
  );
  for (const line of broken) console.log(`  broken: ${line}`);
});

describe('money-moving calls under upstream faults (workerd, simulator beside Bollard)', () => {
  it('keep every promise on every surface', async () => {
    // The setup makes a few hundred resources straight on the simulator; its account limit is not under test.
    const sim = new SimControl('http://sim', simulator);
    await sim.admin('POST', '/_sim/config', { reads_per_second: 1000, writes_per_second: 1000 });
    // Each episode of 429s lowers the account's budget by 30% (test/ratelimit/governor.test.ts): across
    // the whole matrix, the 429 cases would starve the cases running beside them (a shed 429, or a 503
    // "not sent"), which is not what this suite checks. A budget far above what it sends keeps them apart.
    await accountGovernor(env).configure({
      readsPerSecond: 1000,
      writesPerSecond: 1000,
    });
    const agentKey = await createAgentKey(BASE, 'chaos agent', bollard);
    const rest = agentRest(BASE, agentKey, bollard);
    const mcp = await agentMcp(BASE, agentKey, bollard);
    const shop = storefront(BASE, bollard);
    surfaces.push(rest, mcp, shop);

    results = await runChaosMatrix({ sim, rest, mcp, shop, kinds: ANSWER_FAULTS, stallMs: STALL_MS });

    expect(results).toHaveLength(chaosCaseCount(ANSWER_FAULTS));
    expect(chaosReport(results).broken).toEqual([]);
    // The suite must have exercised both kinds of answer, or it proved nothing about either.
    expect(results.some((r) => r.first.status === 504)).toBe(true);
    expect(results.some((r) => r.first.status >= 200 && r.first.status < 300)).toBe(true);
  }, 120_000);
});
