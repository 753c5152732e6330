import {
  AGENT_MONEY_METHODS,
  type FaultKind,
  type MoneyMethod,
  type PreparedCall,
  SUBMIT_METHOD,
} from './methods';
import { type CaseResult, runChaosCase } from './run-case';
import type { Surface, storefront } from './surfaces';
import type { SimControl } from './upstream-setup';

/** Every fault at every rate: each attempt (1), every other one (0.5); a stall only on every attempt. */
const RATES = [1, 0.5] as const;

interface Planned {
  surface: Surface;
  method: MoneyMethod;
  kind: FaultKind;
  rate: number;
  prepared: PreparedCall;
  callerKey: string | null;
}

function plans(kinds: readonly FaultKind[]): Array<{ kind: FaultKind; rate: number }> {
  return kinds.flatMap(
    (kind): Array<{ kind: FaultKind; rate: number }> =>
      kind === 'stall' ? [{ kind, rate: 1 }] : RATES.map((rate) => ({ kind, rate })),
  );
}

/** How many cases `runChaosMatrix` runs for these faults. */
export function chaosCaseCount(kinds: readonly FaultKind[]): number {
  return AGENT_MONEY_METHODS.length * 2 * plans(kinds).length + plans(kinds).length;
}

/**
 * Every money-moving method × each fault in `kinds` × each surface that exposes it (agent REST and MCP for
 * the catalog's methods, the storefront for its submit): one logical call under the fault, then the
 * caller's retry with the key it was given (`runChaosCase`). What the calls act on is made first, with no
 * fault set anywhere; methods fault different routes, so they run side by side, one method's cases in turn.
 */
export async function runChaosMatrix(options: {
  sim: SimControl;
  rest: Surface;
  mcp: Surface;
  shop: ReturnType<typeof storefront>;
  kinds: readonly FaultKind[];
  stallMs: number;
}): Promise<CaseResult[]> {
  const { sim, rest, mcp, shop, kinds, stallMs } = options;
  const groups = new Map<string, Planned[]>();
  let n = 0;
  for (const method of AGENT_MONEY_METHODS) {
    const group: Planned[] = [];
    for (const surface of [rest, mcp]) {
      for (const { kind, rate } of plans(kinds)) {
        const prepared = await method.prepare(sim, `${surface.name}-${kind}-${rate}-${n++}`);
        const callerKey = surface === rest ? `chaos-${crypto.randomUUID()}` : null;
        group.push({ surface, method, kind, rate, prepared, callerKey });
      }
    }
    groups.set(method.routeKey, group);
  }
  const submits: Planned[] = [];
  for (const { kind, rate } of plans(kinds)) {
    const prepared = await SUBMIT_METHOD.prepare(sim, `sf-${kind}-${rate}`);
    const session = await shop.newSession();
    prepared.params = { id: session.id };
    prepared.reference = session.reference;
    submits.push({ surface: shop, method: SUBMIT_METHOD, kind, rate, prepared, callerKey: null });
  }
  groups.set(SUBMIT_METHOD.routeKey, submits);

  const results: CaseResult[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const planned of group) results.push(await runChaosCase(sim, planned, stallMs));
    }),
  );
  return results;
}

/** Each broken case in words, and how many first answers had each status (for the log line). */
export function chaosReport(results: readonly CaseResult[]): { broken: string[]; firstAnswers: string } {
  const broken = results
    .filter((r) => r.violations.length > 0)
    .map((r) => `${r.label}: ${r.violations.join('; ')}`);
  const counts = results.reduce<Record<string, number>>((acc, r) => {
    acc[r.first.status] = (acc[r.first.status] ?? 0) + 1;
    return acc;
  }, {});
  return { broken, firstAnswers: JSON.stringify(counts) };
}
