import type { Access } from '../catalog';
import { BollardError } from '../http/errors';
import { withTimeout } from '../http/timeout';
import type { RateGate } from './contract';
import type { LeaseGrant } from './governor-do';

/** What the gate needs from the governor: a `RateGovernor` stub satisfies it. */
export interface GovernorPort {
  lease(access: Access, want: number): Promise<LeaseGrant>;
  reportThrottled(access: Access, retryAfterSeconds?: number): Promise<void>;
}

export interface LeasedRateGateOptions {
  /** The governor, fetched lazily (a stub per call is cheap; `() => accountGovernor(env)`, stubs.ts). */
  governor: () => GovernorPort;
  /** Slots asked for beyond the callers waiting right now, to serve the next calls without a round trip (default 7). */
  prefetch?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Keeps the throttle report alive after the response (`ctx.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Observes each admitted call's slot time (on this isolate's clock): for tests and the benchmark. */
  onAdmit?: (access: Access, slot: number) => void;
  /**
   * The wait bound before the first lease tells the governor's (`RATE_LIMIT_MAX_WAIT_MS`); default
   * 2 s. Hard: no caller waits longer than this from `acquire` to admission, leases included.
   */
  maxWaitMs?: number;
  /** Bound on one lease round trip to the governor (default 2 s). */
  leaseTimeoutMs?: number;
}

/** Counts for tests and the benchmark: how many calls were admitted per governor round trip. */
export interface GateStats {
  acquired: number;
  shed: number;
  leases: number;
  /** Leased slots that expired unused (their budget is lost, never overspent). */
  expired: number;
}

interface Pool {
  /** Unused slot times on this isolate's clock, ascending. */
  slots: number[];
  graceMs: number;
  /** The lease in flight, if any: callers without a slot wait for it rather than asking again. */
  leasing: Promise<void> | null;
  /** Callers currently waiting for a lease (sizes the next one). */
  waiting: number;
  /** Until then, the governor has said nothing fits within the maximum wait: shed without asking. */
  saturatedUntil: number;
  retryAfterMs: number;
  /** The governor's maximum wait, learnt from its leases. */
  maxWaitMs: number;
  windowGuardMs: number;
  lastReportAt: number;
}

const DEFAULT_MAX_WAIT_MS = 2_000;
const DEFAULT_LEASE_TIMEOUT_MS = 2_000;

// How often a caller waiting on another request's lease re-checks. Workers cancel a request whose only
// pending work belongs to another request, so each waiter keeps a timer of its own.
const WAIT_TICK_MS = 20;

/**
 * The per-isolate client of the account-wide governor. Callers take the earliest slot this isolate
 * holds and wait until its time; a caller that finds none leases a batch (for every caller waiting plus
 * a few spare) while later callers wait for that lease instead of asking again. A slot is good only until
 * `graceMs` after its time, which bounds the overshoot (docs/rate-governor.md). When the governor cannot
 * fit a caller within the maximum wait, `acquire` rejects with `BollardError('too_many_requests',
 * { retryAfter })` before anything is sent upstream.
 *
 * Each lease is made from the context of a caller that is itself waiting for it, so one request never
 * performs I/O on behalf of another that may already have finished.
 */
export class LeasedRateGate implements RateGate {
  readonly #options: LeasedRateGateOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #prefetch: number;
  readonly #pools: Record<Access, Pool>;
  readonly #stats: GateStats = { acquired: 0, shed: 0, leases: 0, expired: 0 };

  constructor(options: LeasedRateGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#prefetch = Math.max(0, options.prefetch ?? 7);
    const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#pools = { read: newPool(maxWaitMs), write: newPool(maxWaitMs) };
  }

  async acquire(access: Access, signal?: AbortSignal): Promise<void> {
    const pool = this.#pools[access];
    const started = this.#now();
    for (;;) {
      const slot = await this.#obtainSlot(access, pool, started, signal);
      // The bound is hard: a slot beyond it (time spent waiting for leases counts) goes back unused.
      const over = slot - (started + pool.maxWaitMs);
      if (over > 0) {
        pool.slots = [slot, ...pool.slots].sort((a, b) => a - b);
        throw this.#shed(over);
      }
      const delay = slot - this.#now();
      if (delay > 0) await this.#sleepUnlessAborted(delay, signal);
      // A caller woken too late (a stalled event loop) must not carry its slot into the next second.
      if (this.#usable(slot, pool, this.#now())) {
        this.#stats.acquired++;
        this.#options.onAdmit?.(access, slot);
        return;
      }
      this.#stats.expired++;
    }
  }

  async #obtainSlot(
    access: Access,
    pool: Pool,
    started: number,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    let slot = this.#takeSlot(pool);
    while (slot === null) {
      signal?.throwIfAborted();
      const now = this.#now();
      if (now < pool.saturatedUntil) throw this.#shed(pool.saturatedUntil - now);
      // Waiting for leases counts against the bound too (a slow governor must not hold callers forever).
      if (now - started >= pool.maxWaitMs) throw this.#shed(1_000);
      if (pool.leasing) {
        pool.waiting++;
        try {
          await this.#waitFor(pool.leasing, started + pool.maxWaitMs);
        } finally {
          pool.waiting--;
        }
      } else {
        // Callers arriving in this same tick join the lease this one is about to make.
        pool.waiting++;
        // The leaser waits no longer than its own bound either; waiters joining it keep theirs.
        const leaseBound = Math.max(1, started + pool.maxWaitMs - now);
        const leasing = Promise.resolve()
          .then(() => this.#lease(access, pool, leaseBound))
          .finally(() => {
            if (pool.leasing === leasing) pool.leasing = null;
          });
        pool.leasing = leasing;
        try {
          await leasing;
        } finally {
          pool.waiting--;
        }
      }
      slot = this.#takeSlot(pool);
    }
    return slot;
  }

  /** A slot is good until `graceMs` after its time, and (with a window guard) never past its own second. */
  #usable(slot: number, pool: Pool, now: number): boolean {
    if (now > slot + pool.graceMs) return false;
    return pool.windowGuardMs <= 0 || Math.floor(now / 1000) <= Math.floor(slot / 1000);
  }

  reportThrottled(access: Access, retryAfterSeconds: number | undefined): void {
    const pool = this.#pools[access];
    // Slots leased at the old rate would keep the pressure on; give them up.
    this.#stats.expired += pool.slots.length;
    pool.slots = [];
    const now = this.#now();
    // One report per second per isolate: a burst of 429s is one signal, not a hundred round trips.
    if (now - pool.lastReportAt < 1_000) return;
    pool.lastReportAt = now;
    const report = this.#options
      .governor()
      .reportThrottled(access, retryAfterSeconds)
      .catch(() => undefined);
    this.#options.waitUntil?.(report);
  }

  stats(): GateStats {
    return { ...this.#stats };
  }

  #takeSlot(pool: Pool): number | null {
    const now = this.#now();
    while (pool.slots.length > 0) {
      const slot = pool.slots.shift() as number;
      if (this.#usable(slot, pool, now)) return slot;
      this.#stats.expired++;
    }
    return null;
  }

  async #lease(access: Access, pool: Pool, boundMs: number): Promise<void> {
    let grant: LeaseGrant;
    try {
      grant = await withTimeout(
        this.#options.governor().lease(access, pool.waiting + this.#prefetch),
        Math.min(this.#options.leaseTimeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS, boundMs),
        () => new Error('lease timed out'),
      );
    } catch (cause) {
      throw new BollardError('upstream_unavailable', {
        codes: ['rate_governor_unavailable'],
        message: 'the rate governor could not be reached',
        retryAfter: 1,
        cause,
      });
    }
    this.#stats.leases++;
    const received = this.#now();
    pool.graceMs = grant.graceMs;
    pool.maxWaitMs = grant.maxWaitMs;
    pool.windowGuardMs = grant.windowGuardMs;
    const slots = grant.delays.map((d) => received + d);
    pool.slots = [...pool.slots, ...slots].sort((a, b) => a - b);
    if (grant.retryAfterMs > 0) {
      pool.saturatedUntil = received + grant.retryAfterMs;
      pool.retryAfterMs = grant.retryAfterMs;
    }
  }

  /**
   * Waits for another caller's lease, until `giveUpAt` at the latest; its failure is that caller's, and
   * this one simply looks again.
   */
  async #waitFor(leasing: Promise<void>, giveUpAt: number): Promise<void> {
    const settled = leasing.then(
      () => true,
      () => true,
    );
    while (!(await Promise.race([settled, tick()]))) {
      if (this.#now() >= giveUpAt) return;
    }
  }

  #shed(retryAfterMs: number): BollardError {
    this.#stats.shed++;
    return new BollardError('too_many_requests', {
      codes: ['rate_limit_wait_exceeded'],
      message: 'the account-wide Checkout.com rate limit is saturated; retry after the given delay',
      retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  }

  async #sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.#sleep(ms);
    signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.#sleep(ms), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

/** A real timer (never the injected sleep): it is what keeps the waiting request alive. */
function tick(): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), WAIT_TICK_MS));
}

function newPool(maxWaitMs: number): Pool {
  return {
    slots: [],
    graceMs: 0,
    leasing: null,
    waiting: 0,
    saturatedUntil: Number.NEGATIVE_INFINITY,
    retryAfterMs: 0,
    maxWaitMs,
    windowGuardMs: 0,
    lastReportAt: Number.NEGATIVE_INFINITY,
  };
}
