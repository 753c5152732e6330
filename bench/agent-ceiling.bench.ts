import { startTopology } from '../scripts/bench-topology';
import { createAgent, GOVERNOR_OUT_OF_REACH, SIM_LIMITS_OUT_OF_REACH, seedPayment } from './fixtures';
import { scaled } from './hot-path';
import { measure, printTable, round, writeResult } from './lib';

/**
 * How many calls a second one agent can make before its Durable Object is the bottleneck (issue 19,
 * item 4, "per agent"). Every call of an agent passes through that agent's one object, which runs one
 * request at a time; calls of different agents run on different objects. So: agent gateway reads at
 * rising concurrency, closed loop, from ONE agent and, in the same rounds, spread over 32 agents. Where
 * the single agent's throughput stops growing while the 32 agents' still grows, its object is the limit;
 * where both flatten together, the machine is (one workerd, shared cores). Limits are out of reach
 * (governor and simulator at 100 000/s), the simulator answers at once, one workerd
 * (scripts/bench-topology.ts).
 */
const AGENTS = 32;
const CONCURRENCY = [1, 4, 16, 32] as const;
const ROUNDS = 3;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export default async function run(): Promise<void> {
  const topology = await startTopology({
    simVars: SIM_LIMITS_OUT_OF_REACH,
    vars: GOVERNOR_OUT_OF_REACH,
  });
  try {
    const id = await seedPayment(topology.simUrl, 'agent-ceiling');
    const keys: string[] = [];
    for (let i = 0; i < AGENTS; i++) keys.push(await createAgent(topology.bollardUrl, `ceiling ${i}`));

    let next = 0;
    const read = (pick: () => string) => async () => {
      const res = await fetch(`${topology.bollardUrl}/agent/v1/payments/${id}`, {
        headers: { authorization: `Bearer ${pick()}`, accept: 'application/json' },
      });
      await res.arrayBuffer();
      return res.status === 200;
    };
    const sides: Record<string, () => Promise<boolean>> = {
      'one agent': read(() => keys[0] as string),
      [`${AGENTS} agents`]: read(() => keys[next++ % AGENTS] as string),
    };
    const rows: Array<Record<string, string | number>> = [];
    const summary: Array<Record<string, string | number>> = [];
    for (const concurrency of CONCURRENCY) {
      const perSide: Record<string, { rps: number[]; p50: number[]; cpu: number[]; errors: number }> = {};
      for (const fn of Object.values(sides)) await measure(fn, { concurrency, durationMs: scaled(500) });
      for (let r = 0; r < ROUNDS; r++) {
        const names = Object.keys(sides);
        for (let k = 0; k < names.length; k++) {
          const name = names[(r + k) % names.length] as string;
          const window = topology.cpu.start();
          const m = await measure(sides[name] as () => Promise<boolean>, {
            concurrency,
            durationMs: scaled(2_000),
          });
          const cpu = window.stop();
          const side = perSide[name] ?? { rps: [], p50: [], cpu: [], errors: 0 };
          perSide[name] = side;
          side.rps.push(m.rps);
          side.p50.push(m.p50);
          if (cpu !== null && m.count > 0) side.cpu.push(cpu / m.count);
          side.errors += m.errors;
          rows.push({
            concurrency,
            round: r + 1,
            side: name,
            rps: m.rps,
            p50: m.p50,
            p99: m.p99,
            errors: m.errors,
          });
        }
      }
      for (const [name, s] of Object.entries(perSide)) {
        summary.push({
          concurrency,
          side: name,
          'calls/s': round(median(s.rps)),
          'p50 ms': round(median(s.p50)),
          'CPU ms/call (workerd)': s.cpu.length ? round(median(s.cpu), 3) : '-',
          errors: s.errors,
        });
      }
    }
    printTable('Agent reads, closed loop: every measurement', rows);
    printTable('One agent vs 32 agents (median of rounds)', summary);
    const one = summary.filter((s) => s.side === 'one agent').map((s) => Number(s['calls/s']));
    const many = summary.filter((s) => s.side !== 'one agent').map((s) => Number(s['calls/s']));
    const ceiling = Math.max(...one);
    const spread = Math.max(...many);
    console.log(
      `one agent peaked at ${round(ceiling)} calls/s; ${AGENTS} agents at ${round(spread)} calls/s (${round(spread / ceiling)}x)`,
    );
    writeResult('agent-ceiling', {
      agents: AGENTS,
      rounds: ROUNDS,
      rows,
      summary,
      one_agent_peak_rps: round(ceiling),
      many_agents_peak_rps: round(spread),
    });
  } finally {
    await topology.dispose();
  }
}
