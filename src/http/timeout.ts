/**
 * `work`, or the error `onTimeout()` makes once `ms` pass first. Every await on another object (a
 * Durable Object RPC, KV, a shared load) goes through this, so no caller waits without a bound. The work
 * itself is not cancelled: whatever it does later is harmless by construction at each call site.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([work, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
