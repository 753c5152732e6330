import type { Access } from '../catalog';
import type { RateGate } from '../checkout/contract';
import { BollardError } from '../http';
import type { LeaseGrant } from './governor-do';

/** What the gate needs from the governor: a `RateGovernor` stub satisfies it. */
export interface GovernorPort {
  lease(access: Access, want: number): Promise<LeaseGrant>;
  reportThrottled(access: Access, retryAfterSeconds?: number): Promise<void>;
}

export interface LeasedRateGateOptions {
  /** The governor, fetched lazily (a stub per call is cheap; `() => env.RATE_GOVERNOR.getByName('account')`). */
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
}

/** Counts for tests and the benchmark: how many calls were admitted per governor round trip. */
export interface GateStats {
  acquired: number;
  shed: number;
  leases: number;
  /** Leased slots that expired unused (their budget is lost, never overspent). */
  expired: number;
}

interface Waiter {
  resolve: (slot: number) => void;
  reject: (err: unknown) => void;
}

interface Pool {
  /** Unused slot times on this isolate's clock, ascending. */
  slots: number[];
  graceMs: number;
  waiters: Waiter[];
  leasing: boolean;
  lastReportAt: number;
}

/**
 * The per-isolate client of the account-wide governor. Callers take the earliest slot this isolate
 * holds and wait until its time; when none is left, one lease (for every waiting caller plus a few
 * more) is fetched for all of them. A slot is good only until `graceMs` after its time, which is what
 * bounds the overshoot (docs/rate-governor.md). When the governor cannot fit a caller within the
 * maximum wait, `acquire` rejects with `BollardError('too_many_requests', { retryAfter })` before
 * anything is sent upstream.
 */
export class LeasedRateGate implements RateGate {
  readonly #options: LeasedRateGateOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #prefetch: number;
  readonly #pools: Record<Access, Pool> = { read: newPool(), write: newPool() };
  readonly #stats: GateStats = { acquired: 0, shed: 0, leases: 0, expired: 0 };

  constructor(options: LeasedRateGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#prefetch = Math.max(0, options.prefetch ?? 7);
  }

  async acquire(access: Access, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const pool = this.#pools[access];
    const slot = this.#takeSlot(pool) ?? (await this.#waitForLease(access, pool));
    const delay = slot - this.#now();
    if (delay > 0) await this.#sleepUnlessAborted(delay, signal);
    this.#stats.acquired++;
    this.#options.onAdmit?.(access, slot);
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
      if (slot + pool.graceMs >= now) return slot;
      this.#stats.expired++;
    }
    return null;
  }

  #waitForLease(access: Access, pool: Pool): Promise<number> {
    const wait = new Promise<number>((resolve, reject) => pool.waiters.push({ resolve, reject }));
    if (!pool.leasing) void this.#lease(access, pool);
    return wait;
  }

  async #lease(access: Access, pool: Pool): Promise<void> {
    pool.leasing = true;
    try {
      // Callers arriving in the same tick share this lease.
      await Promise.resolve();
      while (pool.waiters.length > 0) {
        // Spare slots from the last lease go first, in arrival order.
        for (let slot = this.#takeSlot(pool); slot !== null; slot = this.#takeSlot(pool)) {
          const next = pool.waiters.shift();
          if (!next) {
            pool.slots.unshift(slot);
            break;
          }
          next.resolve(slot);
        }
        if (pool.waiters.length === 0) break;
        const waiting = pool.waiters.splice(0, pool.waiters.length);
        let grant: LeaseGrant;
        try {
          grant = await this.#options.governor().lease(access, waiting.length + this.#prefetch);
        } catch (cause) {
          const err = new BollardError('upstream_unavailable', {
            codes: ['rate_governor_unavailable'],
            message: 'the rate governor could not be reached',
            retryAfter: 1,
            cause,
          });
          for (const w of waiting) w.reject(err);
          continue;
        }
        this.#stats.leases++;
        const received = this.#now();
        pool.graceMs = grant.graceMs;
        const slots = grant.delays.map((d) => received + d);
        let i = 0;
        for (; i < waiting.length && i < slots.length; i++) waiting[i]?.resolve(slots[i] as number);
        if (i < waiting.length && grant.retryAfterMs === 0) {
          // The lease was only capped in size: the rest ask again, ahead of newer callers.
          pool.waiters.unshift(...waiting.slice(i));
        } else if (i < waiting.length) {
          const shed = new BollardError('too_many_requests', {
            codes: ['rate_limit_wait_exceeded'],
            message: 'the account-wide Checkout.com rate limit is saturated; retry after the given delay',
            retryAfter: Math.max(1, Math.ceil(grant.retryAfterMs / 1000)),
          });
          for (const w of waiting.slice(i)) {
            this.#stats.shed++;
            w.reject(shed);
          }
        }
        // Spare slots serve later callers (earliest first) until they expire.
        pool.slots = mergeSorted(pool.slots, slots.slice(i));
      }
    } finally {
      pool.leasing = false;
    }
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

function newPool(): Pool {
  return { slots: [], graceMs: 0, waiters: [], leasing: false, lastReportAt: Number.NEGATIVE_INFINITY };
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  return [...a, ...b].sort((x, y) => x - y);
}
