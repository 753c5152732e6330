/**
 * One logical call's deadline. The budget is measured on the injected clock (so tests stay
 * deterministic); a real timer also aborts `signal` when it passes, so waits that take a signal (the rate
 * gate, the token source, backoff sleeps) end there too, not only attempts.
 */
export class CallDeadline {
  readonly #at: number;
  readonly #now: () => number;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #onCallerAbort: () => void;
  readonly #caller: AbortSignal | undefined;

  constructor(budgetMs: number, now: () => number, caller: AbortSignal | undefined) {
    this.#now = now;
    this.#at = now() + budgetMs;
    this.#caller = caller;
    this.#timer = setTimeout(() => this.#controller.abort(DEADLINE_PASSED), budgetMs);
    this.#onCallerAbort = () => this.#controller.abort(caller?.reason);
    caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
    if (caller?.aborted) this.#controller.abort(caller.reason);
  }

  /** Aborted by the caller's signal or when the deadline passes (reason `DEADLINE_PASSED`). */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.#at - this.#now());
  }

  /** True once the deadline (not the caller) has ended the call. */
  passed(): boolean {
    return this.remaining() <= 0 || this.#controller.signal.reason === DEADLINE_PASSED;
  }

  /** Resolves with `work`, or rejects with this signal's reason once it aborts first. */
  async race<T>(work: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    signal.throwIfAborted();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

/** The abort reason of a call whose deadline passed (compared by identity). */
export const DEADLINE_PASSED: Error = Object.freeze(new Error('the call deadline passed'));
