import type { Access } from '../catalog';
import { BollardError } from '../http/errors';
import { withTimeout } from '../http/timeout';
import type { Admission, RateGate } from './contract';
import type { LeaseAnswer, LeaseRequest } from './permit-book';

/** What the gate needs from the governor: a `RateGovernor` stub satisfies it. */
export interface GovernorPort {
  lease(access: Access, request: LeaseRequest): Promise<LeaseAnswer>;
  reportThrottled(access: Access, retryAfterSeconds?: number): Promise<void>;
}

export interface LeasedRateGateOptions {
  /** The governor, fetched lazily (a stub per call is cheap; `() => accountGovernor(env)`, stubs.ts). */
  governor: () => GovernorPort;
  /** Permits held beyond the last window's use, so a rise in traffic finds one at hand (default 2). */
  spare?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Keeps background work alive after the response (`ctx.waitUntil`, or `waitUntil` from
   * `cloudflare:workers`): lease renewals and throttle reports run there, never in a caller's way.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Observes each admitted call's admission time (this isolate's clock): for tests and the benchmark. */
  onAdmit?: (access: Access, at: number) => void;
  /** The wait bound before the first lease tells the governor's (`RATE_LIMIT_MAX_WAIT_MS`); default 200 ms. */
  maxWaitMs?: number;
  /** Bound on one lease round trip to the governor (default 2 s). */
  leaseTimeoutMs?: number;
  /** The lease ids (default: random UUIDs). */
  leaseId?: () => string;
}

/** Counts for tests, `/admin/status` and the benchmark. */
export interface GateStats {
  acquired: number;
  /** Calls refused (429) before anything was sent. */
  shed: number;
  /** Lease round trips completed (in the background or waited on). */
  leases: number;
  /** Admissions that waited on a lease round trip (none while renewals keep up). */
  leaseWaits: number;
  /** Admissions that waited at all (for a permit to free, or for a lease), and the total of those waits. */
  waited: number;
  waitedMs: number;
  /** Permits lost unused: a lease that lapsed, or a caller woken too late to use its turn. */
  expired: number;
}

interface Permit {
  /** When this permit's next turn is free to book (this isolate's clock): a window after its last booking. */
  freeAt: number;
  /** Its latest actual admission; -Infinity when it has admitted nothing here. */
  lastActual: number;
  /** Callers booked on it and not yet admitted. */
  pending: number;
  /** Calls it admitted that were sent and not yet answered: it admits nothing else meanwhile. */
  inFlight: number;
  /** It admits nothing before this: a second after its last call's answer (`Admission.ended`). */
  clearAt: number;
  /**
   * `held`: bookable. `draining`: put down, but callers are still booked on it, so it is given back only
   * once they are admitted (the governor must learn its exact next free time). `gone`: the governor's
   * again (given back, or its lease lapsed): a caller still booked keeps its turn only if on time.
   */
  state: 'held' | 'draining' | 'gone';
}

interface Pool {
  id: string;
  seq: number;
  /** Bookable permits. */
  permits: Permit[];
  /** Put down with callers still booked: counted by the governor as held until given back. */
  draining: Permit[];
  /** Permits may admit calls only before this (the lease's end, on this clock, counted from the request's send). */
  expiresAt: number;
  ttlMs: number;
  windowMs: number;
  maxWaitMs: number;
  holdLimit: number;
  /** The lease round trip in flight, if any, and when it started (a cancelled one is abandoned after the timeout). */
  leasing: Promise<void> | null;
  leasingSince: number;
  /** Callers currently waiting for a lease (sizes the next one). */
  waiting: number;
  /** `freeAt` of permits put down here and not yet given back to the governor. */
  toReturn: number[];
  /** Until then, the governor has no permit to spare: refuse at once rather than ask. */
  saturatedUntil: number;
  retryAfterMs: number;
  lastReportAt: number;
  /** Smoothed lease round trip (ms). */
  rttMs: number;
}

const DEFAULT_MAX_WAIT_MS = 200;
const DEFAULT_LEASE_TIMEOUT_MS = 2_000;
// Before the first lease the window is unknown; a permit is granted with it, so this is never used to admit.
const UNKNOWN_WINDOW_MS = 1_000;
// A caller booked on a permit given back meanwhile keeps its turn if woken at most this late: part of
// the window's jitter margin (the governor frees the permit a window after the last booking).
const LATE_TOLERANCE_MS = 2;
// How often a caller waiting on another request's lease re-checks. Workers cancel a request whose only
// pending work belongs to another request, so each waiter keeps a timer of its own.
const WAIT_TICK_MS = 20;
// At most this many lease round trips per call before it is refused.
const MAX_TRIPS = 2;
// The upstream's limit is a count per second: a second after an answer, that call is out of any window.
const UPSTREAM_SECOND_MS = 1_000;
// How often a caller whose turn has come re-checks a permit whose last call is still unanswered.
const IN_FLIGHT_TICK_MS = 5;

/**
 * The per-isolate client of the account-wide governor (src/ratelimit/permit-book.ts). The isolate holds
 * a lease of permits; a call takes the permit that frees first: at once when one is free, after a wait
 * when one frees within `maxWaitMs`, and otherwise it is refused with `BollardError('too_many_requests',
 * { retryAfter })` before anything is sent upstream. A permit then admits no other call for a window.
 *
 * The lease is sized to the calls of the last window plus a spare, and renewed, grown and trimmed in
 * the background (`waitUntil`) at half its life or as soon as few permits are left, so at a steady
 * load no call waits on the governor. A call waits on a lease round trip only when the isolate holds
 * no usable permit (a cold isolate, a sudden burst); that wait does not count against `maxWaitMs` (it has its
 * own bound, `leaseTimeoutMs`). A lease is made from the context of a caller that is itself running,
 * so one request never performs I/O on behalf of another that may already have finished.
 */
export class LeasedRateGate implements RateGate {
  readonly #options: LeasedRateGateOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #spare: number;
  readonly #leaseTimeoutMs: number;
  readonly #pools: Record<Access, Pool>;
  readonly #stats: GateStats = {
    acquired: 0,
    shed: 0,
    leases: 0,
    leaseWaits: 0,
    waited: 0,
    waitedMs: 0,
    expired: 0,
  };

  constructor(options: LeasedRateGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#spare = Math.max(0, Math.floor(options.spare ?? 2));
    this.#leaseTimeoutMs = options.leaseTimeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS;
    const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const id = options.leaseId ?? (() => crypto.randomUUID());
    this.#pools = { read: newPool(id(), maxWaitMs), write: newPool(id(), maxWaitMs) };
  }

  async acquire(access: Access, signal?: AbortSignal): Promise<Admission> {
    const pool = this.#pools[access];
    const started = this.#now();
    let leaseTime = 0;
    let trips = 0;
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      // The bound runs from the call's start; a lease round trip it waited on is not counted (its own bound).
      const deadline = started + pool.maxWaitMs + Math.min(leaseTime, this.#leaseTimeoutMs);
      const wait = this.#localWait(pool, now, deadline);
      // A permit here frees later than the governor answers, and the governor may have one free now:
      // ask first (once), unless it just said it has none.
      const askFirst =
        wait !== null &&
        wait > pool.rttMs &&
        trips === 0 &&
        pool.leasing === null &&
        now >= pool.saturatedUntil;
      // (A governor that cannot answer then leaves the permit held here to take.)
      const booked = askFirst ? null : this.#take(pool, now, deadline);
      if (booked !== null) {
        const { permit, useAt } = booked;
        this.#refill(access, pool);
        let at: number | null;
        try {
          at = await this.#settle(pool, permit, useAt, signal);
        } finally {
          permit.pending--;
          this.#releaseIfDrained(pool, permit);
        }
        if (at === null) {
          this.#stats.expired++;
          continue;
        }
        this.#stats.acquired++;
        if (useAt > started || trips > 0) {
          this.#stats.waited++;
          this.#stats.waitedMs += at - started;
        }
        if (trips > 0) this.#stats.leaseWaits++;
        this.#options.onAdmit?.(access, at);
        return this.#admission(pool, permit);
      }
      if (pool.leasing !== null && now - pool.leasingSince > this.#leaseTimeoutMs + WAIT_TICK_MS) {
        // A background lease whose request context was cancelled never settles: stop waiting for it.
        pool.leasing = null;
      }
      if (trips >= MAX_TRIPS || (now < pool.saturatedUntil && pool.leasing === null)) {
        throw this.#shed(pool, now);
      }
      trips++;
      const t0 = this.#now();
      pool.waiting++;
      try {
        if (pool.leasing !== null) await this.#waitFor(pool.leasing, t0 + this.#leaseTimeoutMs);
        else if (askFirst) await this.#lease(access, pool, 'caller').catch(() => undefined);
        else await this.#lease(access, pool, 'caller');
      } finally {
        pool.waiting--;
        leaseTime += this.#now() - t0;
      }
    }
  }

  reportThrottled(access: Access, retryAfterSeconds: number | undefined): void {
    const pool = this.#pools[access];
    // Every permit goes back: the governor hands out what the lowered budget allows.
    this.#putDown(pool, pool.permits);
    const now = this.#now();
    // One report per second per isolate: a burst of 429s is one signal, not a hundred round trips.
    const report =
      now - pool.lastReportAt < 1_000
        ? Promise.resolve()
        : this.#options
            .governor()
            .reportThrottled(access, retryAfterSeconds)
            .catch(() => undefined);
    if (now - pool.lastReportAt >= 1_000) pool.lastReportAt = now;
    const work = report
      .then(() => (pool.leasing === null ? this.#lease(access, pool, 'background') : undefined))
      .catch(() => undefined);
    this.#keep(work);
  }

  stats(): GateStats {
    return { ...this.#stats };
  }

  /**
   * The admitted call's hooks: its permit's window restarts at the send, and the permit stays out of use
   * while the call is unanswered and for a second after (contract.ts, `Admission`). A permit put down
   * meanwhile goes back to the governor only then, with that time.
   */
  #admission(pool: Pool, permit: Permit): Admission {
    let stage: 'admitted' | 'sent' | 'ended' = 'admitted';
    return {
      sent: () => {
        if (stage !== 'admitted') return;
        stage = 'sent';
        const now = this.#now();
        permit.inFlight++;
        permit.lastActual = Math.max(permit.lastActual, now);
        permit.freeAt = Math.max(permit.freeAt, now + pool.windowMs);
      },
      ended: () => {
        if (stage !== 'sent') {
          stage = 'ended';
          return;
        }
        stage = 'ended';
        permit.inFlight--;
        permit.clearAt = Math.max(permit.clearAt, this.#now() + UPSTREAM_SECOND_MS);
        permit.freeAt = Math.max(permit.freeAt, permit.clearAt);
        this.#releaseIfDrained(pool, permit);
      },
    };
  }

  /** A permit put down while in use goes back once no caller is booked on it and no call is in flight. */
  #releaseIfDrained(pool: Pool, permit: Permit): void {
    if (permit.state === 'draining' && permit.pending === 0 && permit.inFlight === 0)
      this.#giveBack(pool, [permit]);
  }

  /** How long until the first permit here frees (within `deadline` and the lease), or null: none will. */
  #localWait(pool: Pool, now: number, deadline: number): number | null {
    let first = Number.POSITIVE_INFINITY;
    for (const p of pool.permits) first = Math.min(first, p.freeAt);
    const useAt = Math.max(now, first);
    return useAt > deadline || useAt >= pool.expiresAt ? null : useAt - now;
  }

  /**
   * Books the permit that frees first, when it frees by `deadline` and before the lease ends: its next
   * admission is then a window after this one. Answers null when none qualifies.
   */
  #take(pool: Pool, now: number, deadline: number): { permit: Permit; useAt: number } | null {
    if (now >= pool.expiresAt && pool.permits.length + pool.draining.length > 0) {
      // The lease lapsed: its permits are the governor's again.
      this.#stats.expired += pool.permits.length;
      this.#forget(pool);
    }
    let best: Permit | null = null;
    for (const p of pool.permits) if (best === null || p.freeAt < best.freeAt) best = p;
    if (best === null) return null;
    const useAt = Math.max(now, best.freeAt);
    if (useAt > deadline || useAt >= pool.expiresAt) return null;
    best.freeAt = useAt + pool.windowMs;
    best.pending++;
    return { permit: best, useAt };
  }

  /**
   * After the sleep, the admission time: never less than a window after the permit's last actual
   * admission (a caller before it on the same permit may have been woken late), and never after the
   * lease ends. Null when the turn is lost: the permit went back meanwhile and this caller woke late.
   */
  async #settle(
    pool: Pool,
    permit: Permit,
    useAt: number,
    signal: AbortSignal | undefined,
  ): Promise<number | null> {
    for (;;) {
      const now = this.#now();
      if (now < useAt) {
        // Woken early (a coarse clock): the turn is not due yet.
        await this.#sleepUnlessAborted(useAt - now, signal);
        continue;
      }
      const earliest = Math.max(permit.lastActual + pool.windowMs, permit.clearAt);
      if (permit.state === 'gone') {
        if (now > useAt + LATE_TOLERANCE_MS || now < earliest || permit.inFlight > 0) return null;
      } else if (permit.inFlight > 0) {
        // Its last call is unanswered, so the upstream may not have counted it yet: wait for the answer,
        // within the wait bound; past it, this turn is lost and the caller looks for another permit.
        if (now > useAt + pool.maxWaitMs) return null;
        await this.#sleepUnlessAborted(IN_FLIGHT_TICK_MS, signal);
        continue;
      } else if (now < earliest) {
        await this.#sleepUnlessAborted(earliest - now, signal);
        continue;
      } else if (now >= pool.expiresAt) {
        return null;
      }
      permit.lastActual = now;
      permit.freeAt = Math.max(permit.freeAt, now + pool.windowMs);
      return now;
    }
  }

  /** Permits admitted in the last window (what the lease should cover), and the sizes that follow. */
  #target(pool: Pool, now: number): number {
    let busy = 0;
    for (const p of pool.permits)
      if (p.pending > 0 || p.inFlight > 0 || p.lastActual > now - pool.windowMs) busy++;
    return Math.max(1, Math.ceil(busy * 1.2) + this.#spare + pool.waiting);
  }

  /** Starts a background lease round trip when one is due: renewal at half-life, growth, trimming. */
  #refill(access: Access, pool: Pool): void {
    const now = this.#now();
    if (pool.leasing !== null) return;
    const target = Math.min(this.#target(pool, now), pool.holdLimit);
    const held = pool.permits.length;
    let freeSoon = 0;
    for (const p of pool.permits) if (p.freeAt <= now + pool.maxWaitMs) freeSoon++;
    const renew = pool.expiresAt - now < pool.ttlMs / 2;
    const grow =
      held < target &&
      now >= pool.saturatedUntil &&
      (freeSoon <= Math.max(1, Math.ceil(target / 10)) || held < target - this.#spare);
    // Hysteresis: a lease grows by half again when short, and gives back only what is well over the need.
    const trim = held > pool.holdLimit || held > 2 * target + this.#spare || pool.toReturn.length > 0;
    if (renew || grow || trim) this.#keep(this.#lease(access, pool, 'background').catch(() => undefined));
  }

  /** One lease round trip: gives back what is over the target, keeps the rest, asks for what is missing. */
  #lease(access: Access, pool: Pool, mode: 'caller' | 'background'): Promise<void> {
    const sentAt = this.#now();
    const target = Math.min(this.#target(pool, sentAt), pool.holdLimit);
    const held = pool.permits.length;
    const keep = Math.min(pool.holdLimit, held > 2 * target + this.#spare ? Math.ceil(1.5 * target) : held);
    // Give back idle permits beyond what is kept (the longest idle first), never one a caller has booked.
    if (held > keep) {
      const idle = pool.permits
        .filter((p) => p.pending === 0 && p.inFlight === 0)
        .sort((a, b) => a.freeAt - b.freeAt)
        .slice(0, held - keep);
      this.#giveBack(pool, idle);
    }
    let busy = 0;
    for (const p of pool.permits)
      if (p.pending > 0 || p.inFlight > 0 || p.lastActual > sentAt - pool.windowMs) busy++;
    const request: LeaseRequest = {
      lease: pool.id,
      seq: ++pool.seq,
      hold: pool.permits.length + pool.draining.length,
      returned: pool.toReturn.map((t) => Math.max(0, t - sentAt)),
      want: this.#want(pool.permits.length, target, mode),
      withinMs: mode === 'caller' ? pool.maxWaitMs : pool.windowMs,
      busy,
    };
    // Given back as of now: if the answer is lost, the governor frees them a window after it notices.
    // Permits given back may be there for this isolate's next call: ask again rather than refuse.
    if (pool.toReturn.length > 0) pool.saturatedUntil = Number.NEGATIVE_INFINITY;
    pool.toReturn = [];
    const leasing = (async () => {
      let answer: LeaseAnswer;
      try {
        answer = await withTimeout(
          this.#options.governor().lease(access, request),
          this.#leaseTimeoutMs,
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
      // What a round trip costs here, to weigh against waiting for a permit already held.
      pool.rttMs = 0.8 * pool.rttMs + 0.2 * Math.max(0, this.#now() - sentAt);
      this.#apply(pool, answer, sentAt);
    })().finally(() => {
      if (pool.leasing === leasing) pool.leasing = null;
    });
    pool.leasing = leasing;
    pool.leasingSince = sentAt;
    return leasing;
  }

  /** Gives permits back with the next round trip: at once when idle, once admitted when callers are booked. */
  #putDown(pool: Pool, permits: readonly Permit[]): void {
    const inUse = (p: Permit) => p.pending > 0 || p.inFlight > 0;
    const idle = permits.filter((p) => !inUse(p));
    for (const p of permits) if (inUse(p)) p.state = 'draining';
    pool.draining.push(...permits.filter(inUse));
    pool.permits = pool.permits.filter((p) => !permits.includes(p));
    this.#giveBack(pool, idle);
  }

  /** Idle permits leave this isolate: the next round trip tells the governor when each is next free. */
  #giveBack(pool: Pool, permits: readonly Permit[]): void {
    for (const p of permits) {
      p.state = 'gone';
      pool.toReturn.push(p.freeAt);
    }
    pool.permits = pool.permits.filter((p) => p.state === 'held');
    pool.draining = pool.draining.filter((p) => p.state === 'draining');
  }

  /** The governor no longer counts this isolate's permits (the lease lapsed): drop them all, untold. */
  #forget(pool: Pool): void {
    for (const p of [...pool.permits, ...pool.draining]) p.state = 'gone';
    pool.permits = [];
    pool.draining = [];
    pool.toReturn = [];
  }

  /** Permits to ask for: what the target lacks, and at least half as many again as held while growing. */
  #want(held: number, target: number, mode: 'caller' | 'background'): number {
    if (held >= target) return mode === 'caller' ? 1 : 0;
    return Math.max(target - held, Math.min(Math.ceil(held / 2), 2 * target - held));
  }

  #apply(pool: Pool, answer: LeaseAnswer, sentAt: number): void {
    if (!answer.current) return;
    const received = this.#now();
    if (!answer.renewed && pool.permits.length + pool.draining.length > 0) {
      // The governor no longer counted them (the lease lapsed there): they are its again.
      this.#stats.expired += pool.permits.length;
      this.#forget(pool);
    }
    pool.windowMs = answer.windowMs;
    pool.maxWaitMs = answer.maxWaitMs;
    pool.ttlMs = answer.ttlMs;
    // Counted from the send, so the lease ends here no later than at the governor.
    pool.expiresAt = sentAt + answer.ttlMs;
    pool.holdLimit = answer.holdLimit;
    // Delays from the governor's now, added to a later now here: a permit is never used early.
    for (const d of answer.granted)
      pool.permits.push({
        freeAt: received + d,
        lastActual: Number.NEGATIVE_INFINITY,
        pending: 0,
        inFlight: 0,
        clearAt: Number.NEGATIVE_INFINITY,
        state: 'held',
      });
    const over = pool.permits.length + pool.draining.length - pool.holdLimit;
    if (over > 0) {
      // Over the limit the governor set: the idle ones go first, and go back with the next round trip.
      const ordered = [...pool.permits].sort(
        (a, b) => a.pending + a.inFlight - (b.pending + b.inFlight) || a.lastActual - b.lastActual,
      );
      this.#putDown(pool, ordered.slice(0, over));
    }
    pool.retryAfterMs = answer.retryAfterMs;
    pool.saturatedUntil =
      answer.retryAfterMs > 0
        ? received + Math.min(pool.windowMs, Math.max(0, answer.retryAfterMs - pool.maxWaitMs))
        : Number.NEGATIVE_INFINITY;
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
    for (;;) {
      const timer = tick();
      const done = await Promise.race([settled, timer.fired]);
      timer.cancel();
      if (done || this.#now() >= giveUpAt) return;
    }
  }

  #keep(work: Promise<unknown>): void {
    try {
      this.#options.waitUntil?.(work);
    } catch {
      // Outside a request (no context to extend): the work runs as long as the isolate does.
    }
  }

  #shed(pool: Pool, now: number): BollardError {
    this.#stats.shed++;
    let next = Number.POSITIVE_INFINITY;
    for (const p of pool.permits) next = Math.min(next, p.freeAt);
    const ms = Number.isFinite(next) ? next - now : pool.retryAfterMs || pool.windowMs;
    return new BollardError('too_many_requests', {
      codes: ['rate_limit_wait_exceeded'],
      message: 'the account-wide Checkout.com rate limit is saturated; retry after the given delay',
      retryAfter: Math.max(1, Math.ceil(ms / 1000)),
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
function tick(): { fired: Promise<false>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), WAIT_TICK_MS);
  });
  return { fired, cancel: () => clearTimeout(timer) };
}

function newPool(id: string, maxWaitMs: number): Pool {
  return {
    id,
    seq: 0,
    permits: [],
    draining: [],
    expiresAt: Number.NEGATIVE_INFINITY,
    ttlMs: 0,
    windowMs: UNKNOWN_WINDOW_MS,
    maxWaitMs,
    holdLimit: Number.POSITIVE_INFINITY,
    leasing: null,
    leasingSince: 0,
    waiting: 0,
    toReturn: [],
    saturatedUntil: Number.NEGATIVE_INFINITY,
    retryAfterMs: 0,
    lastReportAt: Number.NEGATIVE_INFINITY,
    rttMs: 0,
  };
}
