import type { ChaosKind, ChaosRule } from './chaos';
import { chaosCodes, DEFAULT_STALL_MS, drawChaos, MAX_DELAY_MS } from './chaos';
import { readState, writeState } from './config';
import type { DropWhen } from './drop';
import type { SimRuntime } from './runtime';

/**
 * Faults for one route (`"POST /payments"`) or, at the top level, for every API route. A route's rule
 * overrides the top-level one field by field.
 */
export interface FaultRule {
  /** Fraction of requests answered with `status` (0..1). Deterministic: 0.25 fails every 4th request. */
  error_rate?: number;
  /** Status of injected errors; 500 by default. 502, 503 and 504 come as an edge proxy's HTML page. */
  status?: number;
  /** Added before the request is handled (≤ 120 s); the work finishes even if the caller has gone. */
  latency_ms?: number;
  /**
   * `"before"`: cut the connection without processing; `"after"`: process (and store the idempotent
   * answer), then cut. `true` is `"before"`; a number is `"before"` at that every-Nth rate.
   */
  drop?: 'before' | 'after' | boolean | number;
  /** How often `drop: "before" | "after" | true` hits (0..1, every Nth, default 1). */
  drop_rate?: number;
  /** A seeded random mix of faults (soak tests). A route's `chaos` replaces the top-level one. */
  chaos?: ChaosRule;
}

export interface FaultsConfig extends FaultRule {
  routes?: Record<string, FaultRule>;
  /** Webhook delivery faults, interpreted by the events module (out-of-order, duplicates). */
  webhooks?: Record<string, unknown>;
}

const CACHE = new WeakMap<SqlStorage, FaultsConfig>();

export function getFaults(sql: SqlStorage): FaultsConfig {
  const cached = CACHE.get(sql);
  if (cached) return cached;
  const stored = readState(sql, 'faults');
  const faults = stored ? (JSON.parse(stored) as FaultsConfig) : {};
  CACHE.set(sql, faults);
  return faults;
}

export function saveFaults(sql: SqlStorage, faults: FaultsConfig): void {
  writeState(sql, 'faults', JSON.stringify(faults));
  CACHE.set(sql, faults);
}

export function forgetFaults(sql: SqlStorage): void {
  CACHE.delete(sql);
}

/** Every-Nth counting and chaos dice start over with a new configuration, so tests can predict hits. */
export function restartFaults(runtime: SimRuntime): void {
  runtime.faultCounters.clear();
  runtime.chaosStates.clear();
}

/** A chaos rule without a seed gets a random one, stored so the run can be repeated. */
export function withSeeds(faults: FaultsConfig): FaultsConfig {
  const seeded = (rule: FaultRule): FaultRule =>
    rule.chaos && rule.chaos.seed === undefined
      ? { ...rule, chaos: { ...rule.chaos, seed: crypto.getRandomValues(new Uint32Array(1))[0] ?? 0 } }
      : rule;
  const out: FaultsConfig = { ...faults, ...seeded(faults) };
  if (faults.routes) {
    out.routes = Object.fromEntries(Object.entries(faults.routes).map(([k, r]) => [k, seeded(r)]));
  }
  return out;
}

const RULE_FIELDS = ['error_rate', 'status', 'latency_ms', 'drop', 'drop_rate', 'chaos'];

function rate(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 1;
}

function intIn(value: unknown, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/**
 * Validates a fault rule; returns the error codes naming bad fields (`drop_invalid`, `chaos.rate_invalid`,
 * `latency_ms_invalid`, `<field>_unknown`, ...). `extra` lists further keys the caller handles itself.
 */
export function ruleCodes(rule: unknown, prefix: string, extra: readonly string[] = []): string[] {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return [`${prefix}invalid`];
  const r = rule as Record<string, unknown>;
  const codes: string[] = [];
  for (const key of Object.keys(r)) {
    if (!RULE_FIELDS.includes(key) && !extra.includes(key)) codes.push(`${prefix}${key}_unknown`);
  }
  if (r.error_rate !== undefined && !rate(r.error_rate)) codes.push(`${prefix}error_rate_invalid`);
  if (r.status !== undefined && !intIn(r.status, 400, 599)) codes.push(`${prefix}status_invalid`);
  if (r.latency_ms !== undefined && !intIn(r.latency_ms, 0, MAX_DELAY_MS)) {
    codes.push(`${prefix}latency_ms_invalid`);
  }
  const drop = r.drop;
  if (
    drop !== undefined &&
    drop !== 'before' &&
    drop !== 'after' &&
    typeof drop !== 'boolean' &&
    !rate(drop)
  ) {
    codes.push(`${prefix}drop_invalid`);
  }
  // A numeric `drop` is its own rate: a second rate beside it would be ambiguous.
  if (r.drop_rate !== undefined && (!rate(r.drop_rate) || typeof drop === 'number')) {
    codes.push(`${prefix}drop_rate_invalid`);
  }
  if (r.chaos !== undefined) codes.push(...chaosCodes(r.chaos, `${prefix}chaos.`));
  return codes;
}

/** Every-Nth selection: with rate r the n-th request is hit when ⌊n·r⌋ > ⌊(n−1)·r⌋. */
function hit(runtime: SimRuntime, counter: string, r: number): boolean {
  if (r <= 0) return false;
  const n = (runtime.faultCounters.get(counter) ?? 0) + 1;
  runtime.faultCounters.set(counter, n);
  return Math.floor(n * r + 1e-9) > Math.floor((n - 1) * r + 1e-9);
}

export type FaultAction =
  | { kind: 'pass' }
  | { kind: 'drop'; when: DropWhen }
  | { kind: 'error'; status: number };

export interface FaultDecision {
  /** Wait this long before anything else (`latency_ms`, plus a chaos stall). */
  latencyMs: number;
  action: FaultAction;
  /** The chaos kind behind this decision, if the dice chose it. */
  chaos: ChaosKind | null;
}

function chaosAction(kind: ChaosKind): FaultAction {
  switch (kind) {
    case '500':
      return { kind: 'error', status: 500 };
    case '502_html':
      return { kind: 'error', status: 502 };
    case '503_html':
      return { kind: 'error', status: 503 };
    case '429':
      return { kind: 'error', status: 429 };
    case 'drop_before':
      return { kind: 'drop', when: 'before' };
    case 'drop_after':
      return { kind: 'drop', when: 'after' };
    case 'stall':
      return { kind: 'pass' };
  }
}

/**
 * What to do to this request. Order: the deterministic knobs first (`drop`, then `error_rate`, each with
 * its own every-Nth counter per scope), then the chaos dice for requests they left alone; `latency_ms`
 * applies to every request in scope.
 */
export function decideFault(runtime: SimRuntime, faults: FaultsConfig, routeKey: string): FaultDecision {
  const route = faults.routes?.[routeKey];
  const scope = route ? routeKey : '*';
  const latencyMs = route?.latency_ms ?? faults.latency_ms ?? 0;
  const drop = route?.drop ?? faults.drop;
  if (drop !== undefined && drop !== false) {
    const dropRate = typeof drop === 'number' ? drop : (route?.drop_rate ?? faults.drop_rate ?? 1);
    if (hit(runtime, `drop:${scope}`, dropRate)) {
      return {
        latencyMs,
        action: { kind: 'drop', when: drop === 'after' ? 'after' : 'before' },
        chaos: null,
      };
    }
  }
  const errorRate = route?.error_rate ?? faults.error_rate ?? 0;
  if (hit(runtime, `error:${scope}`, errorRate)) {
    return {
      latencyMs,
      action: { kind: 'error', status: route?.status ?? faults.status ?? 500 },
      chaos: null,
    };
  }
  // One dice stream per chaos rule: the top-level rule's is shared by every route without its own.
  const chaos = route?.chaos ?? faults.chaos;
  const kind = chaos ? drawChaos(runtime.chaosStates, route?.chaos ? routeKey : '*', chaos) : null;
  if (chaos && kind) {
    const stall = kind === 'stall' ? (chaos.stall_ms ?? DEFAULT_STALL_MS) : 0;
    return { latencyMs: latencyMs + stall, action: chaosAction(kind), chaos: kind };
  }
  return { latencyMs, action: { kind: 'pass' }, chaos: null };
}
