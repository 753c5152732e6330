/**
 * Delay before retry `attempt` (1-based count of failures so far) of a failing handler: exponential
 * from 5 s, capped at one hour, with ±20% jitter so that a burst of failures does not retry in lockstep.
 * Eight attempts span about ten minutes; past that the event is dead-lettered and an operator replays it.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}
