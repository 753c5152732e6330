import { readState, writeState } from './config';
import type { SimRuntime } from './runtime';

/** Faults for one route (`"POST /payments"`) or, at the top level, for every API route. */
export interface FaultRule {
  /** Fraction of requests answered with `status` (0..1). Deterministic: 0.25 fails every 4th request. */
  error_rate?: number;
  /** Status of injected errors; 500 by default. */
  status?: number;
  /** Added before the request is handled. */
  latency_ms?: number;
  /** `true` drops every request's connection; a number drops that fraction (every Nth, as `error_rate`). */
  drop?: boolean | number;
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

function rate(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 1;
}

/** Validates a fault rule; returns the error codes naming bad fields. */
export function ruleCodes(rule: unknown, prefix: string): string[] {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return [`${prefix}invalid`];
  const r = rule as Record<string, unknown>;
  const codes: string[] = [];
  if (r.error_rate !== undefined && !rate(r.error_rate)) codes.push(`${prefix}error_rate_invalid`);
  if (
    r.status !== undefined &&
    !(Number.isInteger(r.status) && (r.status as number) >= 400 && (r.status as number) <= 599)
  ) {
    codes.push(`${prefix}status_invalid`);
  }
  if (
    r.latency_ms !== undefined &&
    !(Number.isInteger(r.latency_ms) && (r.latency_ms as number) >= 0 && (r.latency_ms as number) <= 60000)
  ) {
    codes.push(`${prefix}latency_ms_invalid`);
  }
  if (r.drop !== undefined && typeof r.drop !== 'boolean' && !rate(r.drop))
    codes.push(`${prefix}drop_invalid`);
  return codes;
}

/** Every-Nth selection: with rate r the n-th request is hit when ⌊n·r⌋ > ⌊(n−1)·r⌋. */
function hit(runtime: SimRuntime, counter: string, r: number): boolean {
  if (r <= 0) return false;
  const n = (runtime.faultCounters.get(counter) ?? 0) + 1;
  runtime.faultCounters.set(counter, n);
  return Math.floor(n * r + 1e-9) > Math.floor((n - 1) * r + 1e-9);
}

export type FaultDecision = { latencyMs: number; error: number | null; drop: boolean };

/** What to do to this request: a route's rule overrides the top-level one field by field. */
export function decideFault(runtime: SimRuntime, faults: FaultsConfig, routeKey: string): FaultDecision {
  const route = faults.routes?.[routeKey];
  const scope = route ? routeKey : '*';
  const latencyMs = route?.latency_ms ?? faults.latency_ms ?? 0;
  const dropRule = route?.drop ?? faults.drop;
  const dropRate = dropRule === true ? 1 : typeof dropRule === 'number' ? dropRule : 0;
  if (hit(runtime, `drop:${scope}`, dropRate)) return { latencyMs, error: null, drop: true };
  const errorRate = route?.error_rate ?? faults.error_rate ?? 0;
  const status = route?.status ?? faults.status ?? 500;
  return { latencyMs, error: hit(runtime, `error:${scope}`, errorRate) ? status : null, drop: false };
}

/** The header the object sets on a response the Worker must turn into a dropped connection. */
export const DROP_HEADER = 'x-sim-drop-connection';
