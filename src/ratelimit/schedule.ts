import type { Access } from '../catalog';
import { type GovernorSettings, rateOf } from './settings';

/**
 * One class's schedule: a GCRA-style "next free slot" (`tat`, the theoretical arrival time) plus the
 * adaptive factor. Pure data; times are ms on the governor's clock.
 */
export interface ClassState {
  /** The earliest time the next slot may be scheduled. */
  tat: number;
  /** The budget factor set by the last decrease, before recovery (1 = never throttled). */
  factorAtDecrease: number;
  /** When the last decrease happened, or null. */
  decreasedAt: number | null;
}

export function freshState(): ClassState {
  return { tat: 0, factorAtDecrease: 1, decreasedAt: null };
}

/**
 * The budget factor now: after a decrease it holds for `holdMs`, then grows back additively by
 * `recoveryPerSecond` of the configured rate per second until it is whole again.
 */
export function currentFactor(state: ClassState, settings: GovernorSettings, now: number): number {
  if (state.decreasedAt === null) return 1;
  const recovering = Math.max(0, now - state.decreasedAt - settings.holdMs);
  return Math.min(1, state.factorAtDecrease + (settings.recoveryPerSecond * recovering) / 1000);
}

/**
 * Calls per second scheduled for the class when unthrottled: the utilisation fraction of the limit, and
 * always at least one slot below it. At small limits 97% rounds to the whole limit (⌈0.97 × 20⌉ = 20),
 * leaving nothing for a call that lands in the upstream's next window; one spare slot keeps any 1 s
 * window, however the upstream's seconds are phased against ours, at or under the limit.
 */
export function baseRate(settings: GovernorSettings, access: Access): number {
  const limit = rateOf(settings, access);
  const fraction = limit * settings.utilization;
  return limit >= 2 ? Math.min(fraction, limit - 1) : fraction;
}

/** Calls per second actually scheduled for the class now. */
export function scheduledRate(
  state: ClassState,
  settings: GovernorSettings,
  access: Access,
  now: number,
): number {
  return baseRate(settings, access) * currentFactor(state, settings, now);
}

export interface Lease {
  /** Slot times (ms, governor clock), ascending and spaced by at least one interval. */
  slots: number[];
  /** Set when fewer slots than asked fit within the maximum wait: ms until the next slot would fit. */
  retryAfterMs: number;
}

/**
 * Grants up to `want` consecutive slots, none later than `now + maxWaitMs`. An idle class starts at
 * `now` (no credit is banked for idle time, so there is never a burst above the rate).
 */
export function lease(
  state: ClassState,
  settings: GovernorSettings,
  access: Access,
  want: number,
  now: number,
): { state: ClassState; lease: Lease } {
  const guard = Math.min(Math.max(0, settings.windowGuardMs), 500);
  // The rate's slots for one second are spread over the part of it outside the guard band.
  const interval = (1000 - guard) / scheduledRate(state, settings, access, now);
  const horizon = now + settings.maxWaitMs;
  const count = Math.max(1, Math.min(settings.leaseMax, Math.floor(want)));
  let tat = outsideGuard(Math.max(state.tat, now), guard);
  const slots: number[] = [];
  while (slots.length < count && tat <= horizon) {
    slots.push(tat);
    tat = outsideGuard(tat + interval, guard);
  }
  const retryAfterMs = slots.length < count ? Math.max(1, Math.ceil(tat - horizon)) : 0;
  return { state: { ...state, tat }, lease: { slots, retryAfterMs } };
}

/** `t`, or the start of the next wall-clock second when `t` falls in the guard band at the end of one. */
export function outsideGuard(t: number, guardMs: number): number {
  if (guardMs <= 0) return t;
  const second = Math.floor(t / 1000) * 1000;
  // The epsilon keeps float rounding from squeezing one extra slot into the band's edge.
  return t - second >= 1000 - guardMs - 1e-6 ? second + 1000 : t;
}

/**
 * The upstream answered 429: multiply the budget by `decreaseFactor` (once per `cooldownMs`: the many
 * 429s of one overshoot are one signal), and when it named a `Retry-After`, pause the class that long.
 */
export function throttled(
  state: ClassState,
  settings: GovernorSettings,
  now: number,
  retryAfterSeconds: number | undefined,
): ClassState {
  let next = state;
  if (state.decreasedAt === null || now - state.decreasedAt >= settings.cooldownMs) {
    const factor = Math.max(
      settings.minFactor,
      currentFactor(state, settings, now) * settings.decreaseFactor,
    );
    next = { ...state, factorAtDecrease: factor, decreasedAt: now };
  }
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0) {
    const pause = Math.min(settings.maxPauseMs, retryAfterSeconds * 1000);
    next = { ...next, tat: Math.max(next.tat, now + pause) };
  }
  return next;
}
