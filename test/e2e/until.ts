import { vi } from 'vitest';

/**
 * What `probe` finds, once it finds something (anything but `undefined`): for state in another process
 * (a dev server listening, a delivery arriving, an index catching up), which no hook of this one reaches.
 * A probe that throws counts as "not yet"; after `timeoutMs` the last error (or "not yet") fails the test.
 */
export function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (value === undefined) throw new Error('not yet');
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}
