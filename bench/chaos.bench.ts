import { startStack } from '../scripts/stack';
import { AGENT_MONEY_METHODS, SUBMIT_METHOD } from '../test/support/chaos/methods';
import {
  agentMcp,
  agentRest,
  createAgentKey,
  type Surface,
  storefront,
} from '../test/support/chaos/surfaces';
import { SimControl } from '../test/support/chaos/upstream-setup';
import { percentile, printTable, round, writeResult } from './lib';

/**
 * `npm run bench -- chaos`: a soak of payments through each surface (agent REST, MCP, storefront submit)
 * with 20% mixed random faults on the payment routes (the simulator's seeded `chaos` knob: 500, HTML
 * 502/503, 429, drop before, drop after, stall past the storefront's deadline), in the `npm start`
 * topology with the default deadlines. Each payment is one logical call with a unique reference; what
 * it answered is checked afterwards against what exists upstream by that reference:
 *
 * - duplicates: a reference with more than one payment (must be 0);
 * - phantom successes: a 2xx whose payment does not exist (must be 0);
 * - misleading refusals: a 4xx/429/5xx other than `504 upstream_outcome_unknown` whose payment exists (must be 0);
 * - unknown outcomes: how many, and how each resolved when retried with its key.
 */
const SIM_PORT = 18802;
const BOLLARD_PORT = 18803;
const PAYMENTS_PER_SURFACE = Number(process.env.CHAOS_PAYMENTS ?? 1000);
const CONCURRENCY = 16;
const FAULT_RATE = 0.2;
const STALL_MS = 12_000;

interface Logical {
  surface: Surface['name'];
  reference: string;
  status: number;
  errorType: string | null;
  key: string | null;
  latencyMs: number;
  retry: () => Promise<{ status: number }>;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

export default async function run(): Promise<void> {
  const stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: {
      STOREFRONT_ORDER_MODE: 'open',
      STOREFRONT_ORIGINS: `http://127.0.0.1:${BOLLARD_PORT}`,
      STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '100000000',
    },
    // Every request comes from one loopback client: the per-client limit is not what this measures.
    clientLimitPerMinute: 1_000_000,
    // Tokens and sessions are made straight on the simulator beside the load; its account limit is not
    // what this measures (Bollard's own governor still holds Bollard to 100 writes/s).
    simVars: { SIM_READS_PER_SECOND: '1000', SIM_WRITES_PER_SECOND: '1000' },
  });
  const sim = new SimControl(stack.simUrl);
  const requestPayment = AGENT_MONEY_METHODS.find((m) => m.name === 'requestPayment');
  if (!requestPayment) throw new Error('requestPayment is not a chaos method');
  try {
    const agentKey = await createAgentKey(stack.bollardUrl, 'chaos soak agent');
    const rest = agentRest(stack.bollardUrl, agentKey);
    const mcp = await agentMcp(stack.bollardUrl, agentKey);
    const shop = storefront(stack.bollardUrl);
    const chaos = { rate: FAULT_RATE, seed: 20261202, stall_ms: STALL_MS };
    const logical: Logical[] = [];

    const one = async (surface: Surface, i: number): Promise<void> => {
      const method = surface === shop ? SUBMIT_METHOD : requestPayment;
      const prepared = await method.prepare(sim, `soak-${surface.name}-${i}`);
      let reference = prepared.reference ?? '';
      if (surface === shop) {
        const session = await shop.newSession();
        prepared.params = { id: session.id };
        reference = session.reference;
      }
      const callerKey = surface === rest ? `soak-${crypto.randomUUID()}` : null;
      const t0 = performance.now();
      const answer = await surface.call(method, prepared, callerKey);
      const latencyMs = performance.now() - t0;
      const key = answer.idempotencyKey ?? callerKey;
      logical.push({
        surface: surface.name,
        reference,
        status: answer.status,
        errorType: answer.errorType,
        key,
        latencyMs,
        retry: () => surface.call(method, prepared, key),
      });
    };

    const started = performance.now();
    await sim.setFault(requestPayment.routeKey, { chaos });
    await sim.setFault(SUBMIT_METHOD.routeKey, { chaos });
    for (const surface of [rest, mcp, shop]) {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < PAYMENTS_PER_SURFACE) await one(surface, next++);
        }),
      );
    }
    await sim.setFault(requestPayment.routeKey, null);
    await sim.setFault(SUBMIT_METHOD.routeKey, null);
    // Stalled requests finish upstream after their callers left; let them, then look.
    await new Promise((r) => setTimeout(r, STALL_MS + 3_000));

    const counts = new Map<string, number>();
    for (const l of logical) counts.set(l.reference, await sim.paymentsByReference(l.reference));

    const rows = [];
    const perSurface: Record<string, unknown> = {};
    for (const name of ['agent-rest', 'agent-mcp', 'storefront'] as const) {
      const mine = logical.filter((l) => l.surface === name);
      const unknown = mine.filter((l) => l.status === 504 && l.errorType === 'upstream_outcome_unknown');
      const resolutions: Record<string, number> = {};
      for (const u of unknown) {
        const paidBefore = counts.get(u.reference) ?? 0;
        const retried = await u.retry();
        const paidAfter = await sim.paymentsByReference(u.reference);
        const how = `${paidBefore === 1 ? 'had happened' : 'had not happened'} → retry ${retried.status}${paidAfter === 1 ? '' : ` (${paidAfter} payments)`}`;
        resolutions[how] = (resolutions[how] ?? 0) + 1;
        counts.set(u.reference, paidAfter);
      }
      const duplicates = mine.filter((l) => (counts.get(l.reference) ?? 0) > 1).length;
      const phantoms = mine.filter((l) => isSuccess(l.status) && (counts.get(l.reference) ?? 0) === 0).length;
      const misleading = mine.filter(
        (l) => !isSuccess(l.status) && !unknown.includes(l) && (counts.get(l.reference) ?? 0) > 0,
      ).length;
      const refused = mine.filter((l) => !isSuccess(l.status) && !unknown.includes(l));
      const refusals = refused.length;
      // What the refusals were (e.g. `429 too_many_requests`): each must be one where nothing happened.
      const refusalKinds: Record<string, number> = {};
      for (const r of refused) {
        const kind = `${r.status} ${r.errorType ?? ''}`.trim();
        refusalKinds[kind] = (refusalKinds[kind] ?? 0) + 1;
      }
      const latencies = mine.map((l) => l.latencyMs).sort((a, b) => a - b);
      const row = {
        surface: name,
        payments: mine.length,
        '2xx': mine.filter((l) => isSuccess(l.status)).length,
        unknown: unknown.length,
        'other refusals': refusals,
        duplicates,
        phantoms,
        misleading,
        'p50 ms': round(percentile(latencies, 50)),
        'p99 ms': round(percentile(latencies, 99)),
      };
      rows.push(row);
      perSurface[name] = { ...row, unknown_resolutions: resolutions, refusals_by_kind: refusalKinds };
    }
    printTable(
      `chaos soak: ${PAYMENTS_PER_SURFACE} payments per surface, ${FAULT_RATE * 100}% mixed faults (seed ${chaos.seed}), ${round((performance.now() - started) / 1000)} s`,
      rows,
    );
    for (const [name, data] of Object.entries(perSurface)) {
      console.log(
        `${name} unknown outcomes resolved:`,
        (data as { unknown_resolutions: unknown }).unknown_resolutions,
      );
    }
    const file = writeResult('chaos', {
      payments_per_surface: PAYMENTS_PER_SURFACE,
      fault_rate: FAULT_RATE,
      chaos,
      concurrency: CONCURRENCY,
      surfaces: perSurface,
    });
    console.log(`wrote ${file}`);
    await mcp.close();
  } finally {
    await stack.stop();
  }
}
