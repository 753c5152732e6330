import { SWEEP_AFTER_MS } from './call-path';
import { type AgentStores, chainState } from './state';

/** Entries are forwarded to the global index this long after an append (batching concurrent calls). */
export const FLUSH_DELAY_MS = 200;
/** After a failed forward the next try waits 1 s, doubling per failure, at most this. */
export const MAX_FLUSH_BACKOFF_MS = 60_000;

/**
 * The object's one alarm, moved only earlier: remembers the time this instance last set, so the hot path
 * (every append asks for an alarm) skips the storage read while one is already due soon enough.
 */
export class AlarmSlot {
  readonly #storage: DurableObjectStorage;
  #at: number | null = null;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /** The alarm fired: what was set is gone. */
  fired(): void {
    this.#at = null;
  }

  /** Sets the alarm at `at` unless one is already due by then. */
  async setBy(at: number): Promise<void> {
    if (this.#at !== null && this.#at <= at) return;
    const current = await this.#storage.getAlarm();
    if (current !== null && current <= at) {
      this.#at = current;
      return;
    }
    await this.#storage.setAlarm(at);
    this.#at = at;
  }
}

/**
 * When the alarm is next needed, after one run (`now`): again at once while the forward has more, after a
 * backoff when it failed; when the oldest pending start is due for the sweep; when the earliest open
 * bad-key minute ends; and when pruning is next due (`pruneAt`). Null: nothing is due.
 */
export function nextWake(
  stores: AgentStores,
  now: number,
  flushed: 'done' | 'more' | 'failed',
  pruneAt: number | null,
): number | null {
  const times: number[] = [];
  if (flushed === 'failed')
    times.push(
      now +
        Math.min(MAX_FLUSH_BACKOFF_MS, 1_000 * 2 ** Math.max(0, chainState(stores.sql).flush_failures - 1)),
    );
  else if (flushed === 'more') times.push(now);
  const oldest = stores.calls.stale(0, 0).oldestPendingMs;
  if (oldest !== null) times.push(oldest + SWEEP_AFTER_MS);
  const attemptsDue = stores.attempts.nextDue();
  if (attemptsDue !== null) times.push(attemptsDue);
  if (pruneAt !== null) times.push(pruneAt);
  return times.length ? Math.min(...times) : null;
}
