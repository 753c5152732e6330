import type { Access } from '../../../src/catalog';
import type { SimConfig } from './config';
import type { SimRuntime } from './runtime';
import { COUNTER, raise } from './stats';

/**
 * The account-wide limiter (facts §7): one fixed one-second window for reads (GET) and another for
 * writes, each with its own budget. Returns false when the request is over the budget. Every request
 * seen counts against the window, refused or not, as a real limiter meters attempts.
 */
export function withinRate(
  runtime: SimRuntime,
  sql: SqlStorage,
  config: SimConfig,
  access: Access,
  nowMs: number,
): boolean {
  const window = runtime.windows[access];
  const second = Math.floor(nowMs / 1000);
  if (window.second !== second) {
    window.second = second;
    window.count = 0;
  }
  window.count++;
  const limit = access === 'read' ? config.reads_per_second : config.writes_per_second;
  const allowed = window.count <= limit;
  // The peak of accepted requests per second: how a benchmark checks a client stayed under the limit.
  if (allowed && window.count > (runtime.peaks[access] ?? 0)) {
    runtime.peaks[access] = window.count;
    raise(sql, access === 'read' ? COUNTER.peakRead : COUNTER.peakWrite, window.count);
  }
  return allowed;
}
