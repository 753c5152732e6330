import type { Access } from '../../src/catalog';
import {
  DEFAULT_SETTINGS,
  freshBook,
  type GovernorPort,
  type GovernorSettings,
  LeasedRateGate,
  type LeaseRequest,
  type PermitBook,
  serveLease,
  throttled,
} from '../../src/ratelimit';

/**
 * Virtual time for the gate and the governor's books: `sleep` parks on this clock, and `runUntil`
 * moves it forward timer by timer, letting every promise chain settle between steps. Nothing waits on
 * the wall clock, so a test covers seconds of traffic in milliseconds.
 */
export class VirtualClock {
  now = 0;
  #timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  #seq = 0;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.#timers.push({ at: this.now + Math.max(0, ms), seq: this.#seq++, resolve });
    });

  /** Every pending microtask chain runs (the gate's and governor's continuations are all promise jobs). */
  async settle(): Promise<void> {
    for (let i = 0; i < 200; i++) await Promise.resolve();
  }

  /** Runs every timer due by `t`, in order, then stops the clock at `t`. */
  async runUntil(t: number): Promise<void> {
    await this.settle();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (next === undefined || next.at > t) break;
      this.#timers.shift();
      this.now = Math.max(this.now, next.at);
      next.resolve();
      await this.settle();
    }
    this.now = Math.max(this.now, t);
    await this.settle();
  }
}

/**
 * The governor's books (src/ratelimit/permit-book.ts) behind a `GovernorPort`, on the virtual clock,
 * with a round trip of `latencyMs` each way: what the `RateGovernor` object does, minus its storage.
 */
export class VirtualGovernor implements GovernorPort {
  readonly books = new Map<Access, PermitBook>();
  requests = 0;

  constructor(
    readonly clock: VirtualClock,
    readonly settings: GovernorSettings,
    readonly latencyMs = 0,
    /** Every `lossEvery`-th round trip fails: odd ones before the books see it, even ones after (answer lost). */
    readonly lossEvery = 0,
  ) {}

  async lease(access: Access, request: LeaseRequest) {
    const n = ++this.requests;
    const lost = this.lossEvery > 0 && n % this.lossEvery === 0;
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    if (lost && (n / this.lossEvery) % 2 === 1) throw new Error('request lost');
    const book = this.books.get(access) ?? freshBook(this.settings, access);
    const { book: next, answer } = serveLease(book, this.settings, access, request, this.clock.now);
    this.books.set(access, next);
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    if (lost) throw new Error('answer lost');
    return answer;
  }

  async reportThrottled(access: Access, retryAfterSeconds?: number) {
    const book = this.books.get(access) ?? freshBook(this.settings, access);
    this.books.set(access, { ...book, ...throttled(book, this.settings, this.clock.now, retryAfterSeconds) });
  }
}

/** Settings for a class limit of `limit` per second (reads and writes alike). */
export function settingsFor(limit: number, overrides: Partial<GovernorSettings> = {}): GovernorSettings {
  return { ...DEFAULT_SETTINGS, readsPerSecond: limit, writesPerSecond: limit, ...overrides };
}

export interface Outcome {
  gate: number;
  arrivedAt: number;
  /** Admission time, or null when refused. */
  admittedAt: number | null;
  /** When the refusal came (virtual), for refused calls. */
  refusedAt: number | null;
  error: unknown;
}

/** A gate on the virtual clock (its lease ids numbered, so runs repeat). */
export function virtualGate(
  clock: VirtualClock,
  governor: GovernorPort,
  n: number,
  maxWaitMs: number,
  admissions: number[],
): LeasedRateGate {
  let ids = 0;
  return new LeasedRateGate({
    governor: () => governor,
    now: () => clock.now,
    sleep: clock.sleep,
    maxWaitMs,
    leaseId: () => `gate-${n}-${ids++}`,
    onAdmit: (_access, at) => void admissions.push(at),
  });
}

/**
 * Offers `arrivals` (virtual ms, per gate) to the gates as reads, runs the clock to the end plus
 * `tailMs`, and answers each call's outcome.
 */
export async function offer(
  clock: VirtualClock,
  gates: readonly LeasedRateGate[],
  arrivals: ReadonlyArray<{ gate: number; at: number }>,
  tailMs = 5_000,
): Promise<Outcome[]> {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const outcomes: Outcome[] = [];
  const pending: Promise<void>[] = [];
  for (const a of sorted) {
    await clock.runUntil(a.at);
    const gate = gates[a.gate % gates.length] as LeasedRateGate;
    const outcome: Outcome = {
      gate: a.gate,
      arrivedAt: clock.now,
      admittedAt: null,
      refusedAt: null,
      error: null,
    };
    outcomes.push(outcome);
    pending.push(
      gate.acquire('read').then(
        () => {
          outcome.admittedAt = clock.now;
        },
        (err: unknown) => {
          outcome.refusedAt = clock.now;
          outcome.error = err;
        },
      ),
    );
  }
  const end = (sorted.at(-1)?.at ?? 0) + tailMs;
  await clock.runUntil(end);
  // Everything has settled by now; a call still pending is a hang the caller would see.
  const settled = await Promise.race([
    Promise.all(pending).then(() => true),
    clock.settle().then(() => false),
  ]);
  if (!settled) throw new Error('a call neither admitted nor refused by the end of the run');
  return outcomes;
}

/**
 * Most admissions in any half-open window of `windowMs`. A nanosecond is trimmed: a permit reused exactly
 * one window later sits on the window's edge, and float sums put it a hair inside.
 */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs - 1e-6) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
