/**
 * A small rolling counter of this isolate's upstream answers, for `GET /admin/status`: per minute, the
 * last five minutes, by class. Isolates do not share it (like the rate gate's own counters): it shows
 * what the isolate that answered has seen, which under `wrangler dev` is everything.
 */

export type UpstreamOutcome = 'ok' | 'client_error' | 'throttled' | 'server_error' | 'network_error';

const OUTCOMES: readonly UpstreamOutcome[] = [
  'ok',
  'client_error',
  'throttled',
  'server_error',
  'network_error',
];
const BUCKET_MS = 60_000;
const BUCKETS = 5;

type Counts = Record<UpstreamOutcome, number>;

const zero = (): Counts => ({ ok: 0, client_error: 0, throttled: 0, server_error: 0, network_error: 0 });

export interface UpstreamWindow {
  window_s: number;
  total: number;
  by_outcome: Counts;
  /** 5xx answers and network failures (cut connections, timeouts) over all answers; null with none. */
  error_rate: number | null;
  /** 429s over all answers; null with none. */
  throttle_rate: number | null;
}

export class UpstreamStats {
  readonly #buckets = new Map<number, Counts>();
  readonly #since: Counts = zero();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  record(outcome: UpstreamOutcome): void {
    const slot = Math.floor(this.#now() / BUCKET_MS);
    let counts = this.#buckets.get(slot);
    if (!counts) {
      counts = zero();
      this.#buckets.set(slot, counts);
      for (const key of this.#buckets.keys()) if (key <= slot - BUCKETS) this.#buckets.delete(key);
    }
    counts[outcome]++;
    this.#since[outcome]++;
  }

  /** Record a status (or a thrown fetch, `null`). */
  recordStatus(status: number | null): void {
    this.record(
      status === null
        ? 'network_error'
        : status === 429
          ? 'throttled'
          : status >= 500
            ? 'server_error'
            : status >= 400
              ? 'client_error'
              : 'ok',
    );
  }

  /** The last five minutes (the current minute included). */
  window(): UpstreamWindow {
    const slot = Math.floor(this.#now() / BUCKET_MS);
    const sum = zero();
    for (const [key, counts] of this.#buckets)
      if (key > slot - BUCKETS) for (const o of OUTCOMES) sum[o] += counts[o];
    return summarise(sum, (BUCKETS * BUCKET_MS) / 1000);
  }

  /** Everything since this isolate started. */
  sinceStart(): Counts {
    return { ...this.#since };
  }
}

function summarise(c: Counts, windowS: number): UpstreamWindow {
  const total = OUTCOMES.reduce((n, o) => n + c[o], 0);
  return {
    window_s: windowS,
    total,
    by_outcome: c,
    error_rate: total === 0 ? null : (c.server_error + c.network_error) / total,
    throttle_rate: total === 0 ? null : c.throttled / total,
  };
}

/** The isolate's counter. */
export const upstreamStats = new UpstreamStats();

/** Wraps a `fetch` so every answer (or failure) is counted. */
export function countedFetch(inner: typeof fetch, stats: UpstreamStats = upstreamStats): typeof fetch {
  return async (input, init) => {
    try {
      const res = await inner(input, init);
      stats.recordStatus(res.status);
      return res;
    } catch (err) {
      stats.recordStatus(null);
      throw err;
    }
  };
}
