import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { chaosCaseCount, chaosReport, runChaosMatrix } from '../support/chaos/matrix';
import { SOCKET_FAULTS } from '../support/chaos/methods';
import type { CaseResult } from '../support/chaos/run-case';
import { agentMcp, agentRest, createAgentKey, type Surface, storefront } from '../support/chaos/surfaces';
import { SimControl } from '../support/chaos/upstream-setup';

/**
 * The chaos suite's cut connections, through the `npm start` topology: the simulator behind its loopback
 * network proxy and Bollard, both real `wrangler dev` processes. A cut needs a real socket, so it is
 * tested here; the faults an answer carries (500, HTML 502, 429, stall) run in the workerd tier against
 * the simulator beside Bollard (test/chaos/upstream-faults.test.ts), with the same cases and checks
 * (test/support/chaos/). Every money-moving method × drop before / after × each surface that exposes it:
 * one logical call under the fault, then the caller's retry with the key it was given. The promises
 * checked are those of docs/operations.md ("Failure semantics"): exactly one upstream effect, a 2xx only
 * with the resource, never a 4xx/429 for something that happened, 504 `upstream_outcome_unknown` only
 * when the outcome could not be learned, and the retry gets the original.
 */
const SIM_PORT = 18800;
const BOLLARD_PORT = 18801;
// Short deadlines keep the cases quick: an attempt gives up after 1 s, the call after 2.5 s.
const DEADLINE_MS = 2_500;

let stack: Stack;
let sim: SimControl;
const surfaces: Surface[] = [];
let results: CaseResult[] = [];

beforeAll(async () => {
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: {
      STOREFRONT_ORDER_MODE: 'open',
      STOREFRONT_ORIGINS: `http://127.0.0.1:${BOLLARD_PORT}`,
      AGENT_UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
      STOREFRONT_UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000',
      STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '1000',
    },
    clientLimitPerMinute: 10_000,
    // The setup makes a few hundred resources straight on the simulator; its account limit is not under test.
    simVars: { SIM_READS_PER_SECOND: '1000', SIM_WRITES_PER_SECOND: '1000' },
  });
  sim = new SimControl(stack.simUrl);
}, 120_000);

afterAll(async () => {
  await Promise.all(surfaces.map((s) => s.close().catch(() => undefined)));
  await stack?.stop();
  const { broken, firstAnswers } = chaosReport(results);
  console.log(
    `chaos (cuts): ${results.length} cases, ${broken.length} broken; first answers: ${firstAnswers}`,
  );
  for (const line of broken) console.log(`  broken: ${line}`);
});

describe('money-moving calls under cut connections (npm start topology)', () => {
  it('keep every promise on every surface', async () => {
    const agentKey = await createAgentKey(stack.bollardUrl, 'chaos agent');
    const rest = agentRest(stack.bollardUrl, agentKey);
    const mcp = await agentMcp(stack.bollardUrl, agentKey);
    const shop = storefront(stack.bollardUrl);
    surfaces.push(rest, mcp, shop);

    // No stall among the cuts: `stallMs` is not used.
    results = await runChaosMatrix({ sim, rest, mcp, shop, kinds: SOCKET_FAULTS, stallMs: 0 });

    expect(results).toHaveLength(chaosCaseCount(SOCKET_FAULTS));
    expect(chaosReport(results).broken).toEqual([]);
    // The suite must have exercised both kinds of answer, or it proved nothing about either.
    expect(results.some((r) => r.first.status === 504)).toBe(true);
    expect(results.some((r) => r.first.status >= 200 && r.first.status < 300)).toBe(true);
  }, 600_000);
});
