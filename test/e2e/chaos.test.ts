import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import {
  AGENT_MONEY_METHODS,
  FAULT_KINDS,
  type FaultKind,
  type MoneyMethod,
  type PreparedCall,
  SUBMIT_METHOD,
} from './chaos/methods';
import { type CaseResult, runChaosCase } from './chaos/run-case';
import { agentMcp, agentRest, createAgentKey, type Surface, storefront } from './chaos/surfaces';
import { SimControl } from './chaos/upstream-setup';

/**
 * The chaos suite, through the `npm start` topology: the simulator behind its loopback network proxy
 * and Bollard, both real `wrangler dev` processes. Every money-moving method × every fault × each
 * surface that exposes it: one logical call under the fault, then the caller's retry with the key it
 * was given. The promises checked are those of docs/operations.md ("Failure semantics"): exactly one
 * upstream effect, a 2xx only with the resource, never a 4xx/429 for something that happened, 504
 * `upstream_outcome_unknown` only when the outcome could not be learned, and the retry gets the original.
 */
const SIM_PORT = 18800;
const BOLLARD_PORT = 18801;
// Short deadlines keep stalls cheap: an attempt gives up after 1 s, the call after 2.5 s.
const DEADLINE_MS = 2_500;
const STALL_MS = 4_000;
const RATES = [1, 0.5] as const;

let stack: Stack;
let sim: SimControl;
const surfaces: Surface[] = [];
const results: CaseResult[] = [];

interface Planned {
  surface: Surface;
  method: MoneyMethod;
  kind: FaultKind;
  rate: number;
  prepared: PreparedCall;
  callerKey: string | null;
}

function plans(): Array<{ kind: FaultKind; rate: number }> {
  return FAULT_KINDS.flatMap(
    (kind): Array<{ kind: FaultKind; rate: number }> =>
      kind === 'stall' ? [{ kind, rate: 1 }] : RATES.map((rate) => ({ kind, rate })),
  );
}

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
  const broken = results.filter((r) => r.violations.length > 0);
  console.log(
    `chaos: ${results.length} cases, ${broken.length} broken; first answers: ${JSON.stringify(
      results.reduce<Record<string, number>>((acc, r) => {
        acc[r.first.status] = (acc[r.first.status] ?? 0) + 1;
        return acc;
      }, {}),
    )}`,
  );
});

describe('money-moving calls under upstream faults (npm start topology)', () => {
  it('keep every promise on every surface', async () => {
    const agentKey = await createAgentKey(stack.bollardUrl, 'chaos agent');
    const rest = agentRest(stack.bollardUrl, agentKey);
    const mcp = await agentMcp(stack.bollardUrl, agentKey);
    const shop = storefront(stack.bollardUrl);
    surfaces.push(rest, mcp, shop);

    // Everything the calls act on is made first, with no fault set anywhere.
    const groups = new Map<string, Planned[]>();
    let n = 0;
    for (const method of AGENT_MONEY_METHODS) {
      const group: Planned[] = [];
      for (const surface of [rest, mcp]) {
        for (const { kind, rate } of plans()) {
          const prepared = await method.prepare(sim, `${surface.name}-${kind}-${rate}-${n++}`);
          const callerKey = surface === rest ? `chaos-${crypto.randomUUID()}` : null;
          group.push({ surface, method, kind, rate, prepared, callerKey });
        }
      }
      groups.set(method.routeKey, group);
    }
    const submits: Planned[] = [];
    for (const { kind, rate } of plans()) {
      const prepared = await SUBMIT_METHOD.prepare(sim, `sf-${kind}-${rate}`);
      const session = await shop.newSession();
      prepared.params = { id: session.id };
      prepared.reference = session.reference;
      submits.push({ surface: shop, method: SUBMIT_METHOD, kind, rate, prepared, callerKey: null });
    }
    groups.set(SUBMIT_METHOD.routeKey, submits);

    // Methods fault different routes, so they run side by side; one method's cases run in turn.
    await Promise.all(
      [...groups.values()].map(async (group) => {
        for (const planned of group) results.push(await runChaosCase(sim, planned, STALL_MS));
      }),
    );

    const expected = AGENT_MONEY_METHODS.length * 2 * plans().length + plans().length;
    expect(results).toHaveLength(expected);
    const broken = results
      .filter((r) => r.violations.length > 0)
      .map((r) => `${r.label}: ${r.violations.join('; ')}`);
    expect(broken).toEqual([]);
    // The suite must have exercised both kinds of answer, or it proved nothing about either.
    expect(results.some((r) => r.first.status === 504)).toBe(true);
    expect(results.some((r) => r.first.status >= 200 && r.first.status < 300)).toBe(true);
  }, 600_000);
});
