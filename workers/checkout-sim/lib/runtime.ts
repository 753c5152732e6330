import type { ChaosStates } from './chaos';

/**
 * In-memory state of the one simulator object that must not outlive it and needs no persistence: the
 * current rate-limit windows, idempotency keys in flight, and the fault counters and chaos dice that make
 * injected faults reproducible. A reset replaces it.
 */
export interface SimRuntime {
  /** Fixed one-second windows per access class. */
  windows: { read: { second: number; count: number }; write: { second: number; count: number } };
  /** Idempotency keys whose first request is still being processed. */
  inflight: Set<string>;
  /** Requests seen per fault scope (a route key or `*`), for every-Nth error injection. */
  faultCounters: Map<string, number>;
  /** The chaos PRNG's state per scope (a route key or `*`), advanced once per request it judges. */
  chaosStates: ChaosStates;
  /** Highest accepted requests in one window so far (mirrored to the stats counters when it rises). */
  peaks: { read: number; write: number };
}

export function newRuntime(): SimRuntime {
  return {
    windows: { read: { second: 0, count: 0 }, write: { second: 0, count: 0 } },
    inflight: new Set(),
    faultCounters: new Map(),
    chaosStates: new Map(),
    peaks: { read: 0, write: 0 },
  };
}
