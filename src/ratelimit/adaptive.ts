import type { Access } from '../catalog';
import { type GovernorSettings, rateOf } from './settings';

/** A class's adaptive state: the budget factor after upstream 429s, and a pause. Times: governor clock. */
export interface AdaptiveState {
  /** The budget factor set by the last decrease, before recovery (1 = never throttled). */
  factorAtDecrease: number;
  /** When the last decrease happened, or null. */
  decreasedAt: number | null;
  /** No permit is handed out before this time (an upstream `Retry-After`). */
  pausedUntil: number;
}

export function freshAdaptive(): AdaptiveState {
  return { factorAtDecrease: 1, decreasedAt: null, pausedUntil: 0 };
}

/**
 * The budget factor now: after a decrease it holds for `holdMs`, then grows back additively by
 * `recoveryPerSecond` of the configured rate per second until it is whole again.
 */
export function currentFactor(state: AdaptiveState, settings: GovernorSettings, now: number): number {
  if (state.decreasedAt === null) return 1;
  const recovering = Math.max(0, now - state.decreasedAt - settings.holdMs);
  return Math.min(1, state.factorAtDecrease + (settings.recoveryPerSecond * recovering) / 1000);
}

/**
 * Calls per second admitted over time when unthrottled: the utilisation fraction of the limit, and
 * always at least one call below it. At small limits 97% rounds to the whole limit (⌈0.97 × 20⌉ = 20);
 * the spare call keeps room for jitter there too.
 */
export function baseRate(settings: GovernorSettings, access: Access): number {
  const limit = rateOf(settings, access);
  const fraction = limit * settings.utilization;
  return limit >= 2 ? Math.min(fraction, limit - 1) : fraction;
}

/** Permits of the class when unthrottled: its limit (whole calls; at least one). */
export function fullPermits(settings: GovernorSettings, access: Access): number {
  return Math.max(1, Math.floor(rateOf(settings, access)));
}

/**
 * The window each permit is used at most once in (ms): `permits / baseRate` seconds, 1031 ms at
 * 100/s. Any interval this long holds at most `permits` admissions, so any one-second interval upstream
 * does too as long as the calls' admission-to-arrival delays differ by less than `windowMs - 1000`.
 */
export function windowMs(settings: GovernorSettings, access: Access): number {
  return (1000 * fullPermits(settings, access)) / baseRate(settings, access);
}

/** Permits in circulation now: the full count times the adaptive factor (at least one). */
export function permitsNow(
  state: AdaptiveState,
  settings: GovernorSettings,
  access: Access,
  now: number,
): number {
  return Math.max(1, Math.floor(fullPermits(settings, access) * currentFactor(state, settings, now)));
}

/** Calls per second the class admits at most over time, now. */
export function admittedRate(
  state: AdaptiveState,
  settings: GovernorSettings,
  access: Access,
  now: number,
): number {
  return (1000 * permitsNow(state, settings, access, now)) / windowMs(settings, access);
}

/**
 * The upstream answered 429: multiply the budget by `decreaseFactor` (once per `cooldownMs`: the many
 * 429s of one overshoot are one signal), and when it named a `Retry-After`, pause the class that long.
 */
export function throttled(
  state: AdaptiveState,
  settings: GovernorSettings,
  now: number,
  retryAfterSeconds: number | undefined,
): AdaptiveState {
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
    next = { ...next, pausedUntil: Math.max(next.pausedUntil, now + pause) };
  }
  return next;
}
