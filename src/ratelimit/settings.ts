import type { Access } from '../catalog';

/** The governor's knobs. Rates are the upstream's per-second limits per class (account-wide). */
export interface GovernorSettings {
  readsPerSecond: number;
  writesPerSecond: number;
  /**
   * The longest a caller may wait for a permit (default 200 ms). A call is admitted at once while a permit
   * is free, waits when the next one frees within this bound, and is refused at once with a 429 otherwise.
   */
  maxWaitMs: number;
  /**
   * Fraction of the limit admitted over time (default 0.97). The class holds as many permits as its limit,
   * and each permit is used at most once per window of `1000 / utilization` ms (at least one spare
   * call per second below the limit): the ~31 ms beyond the second absorb the jitter between a call's
   * admission here and its arrival upstream, so no one-second window upstream, however phased, sees
   * more calls than the limit.
   */
  utilization: number;
  /**
   * How long a lease of permits lasts unless renewed (default 4000 ms). Isolates renew in the background
   * at half of it; an isolate that vanishes holds its permits at most this long (plus one window).
   */
  leaseTtlMs: number;
  /** Multiplier applied to a class's budget on an upstream 429 (default 0.7). */
  decreaseFactor: number;
  /** The budget never drops below this fraction of the configured rate (default 0.1). */
  minFactor: number;
  /** After a decrease, the budget holds this long before recovering (default 5 s). */
  holdMs: number;
  /** Additive recovery, as a fraction of the configured rate per second (default 0.05: 20 s to recover 100%). */
  recoveryPerSecond: number;
  /** 429s within this long of a decrease count as the same episode (default 1 s). */
  cooldownMs: number;
  /** An upstream `Retry-After` pauses the class for at most this long (default 10 s). */
  maxPauseMs: number;
}

export const DEFAULT_SETTINGS: GovernorSettings = {
  readsPerSecond: 100,
  writesPerSecond: 100,
  maxWaitMs: 200,
  utilization: 0.97,
  leaseTtlMs: 4_000,
  decreaseFactor: 0.7,
  minFactor: 0.1,
  holdMs: 5_000,
  recoveryPerSecond: 0.05,
  cooldownMs: 1_000,
  maxPauseMs: 10_000,
};

/** The configured rate of a class. */
export function rateOf(settings: GovernorSettings, access: Access): number {
  return access === 'read' ? settings.readsPerSecond : settings.writesPerSecond;
}

function positive(value: unknown): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim()
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

function fraction(value: unknown): number | null {
  const n = positive(value);
  return n !== null && n <= 1 ? n : null;
}

/** Settings from the Worker's vars (`RATE_LIMIT_*`); a missing or invalid value keeps the default. */
export function settingsFromEnv(env: {
  RATE_LIMIT_READS_PER_SECOND?: string;
  RATE_LIMIT_WRITES_PER_SECOND?: string;
  RATE_LIMIT_MAX_WAIT_MS?: string;
}): GovernorSettings {
  return {
    ...DEFAULT_SETTINGS,
    readsPerSecond: positive(env.RATE_LIMIT_READS_PER_SECOND) ?? DEFAULT_SETTINGS.readsPerSecond,
    writesPerSecond: positive(env.RATE_LIMIT_WRITES_PER_SECOND) ?? DEFAULT_SETTINGS.writesPerSecond,
    maxWaitMs: positive(env.RATE_LIMIT_MAX_WAIT_MS) ?? DEFAULT_SETTINGS.maxWaitMs,
  };
}

export type SettingsOverrides = Partial<GovernorSettings>;

export type SettingsCheck =
  | { ok: true; settings: GovernorSettings }
  | { ok: false; field: keyof GovernorSettings };

const FRACTIONS: ReadonlySet<keyof GovernorSettings> = new Set([
  'utilization',
  'decreaseFactor',
  'minFactor',
  'recoveryPerSecond',
]);

/** Applies overrides, refusing (by field name) any value that is not a positive number (or a fraction in (0, 1]). */
export function applyOverrides(base: GovernorSettings, overrides: SettingsOverrides): SettingsCheck {
  const next: GovernorSettings = { ...base };
  for (const key of Object.keys(overrides) as (keyof GovernorSettings)[]) {
    if (!(key in DEFAULT_SETTINGS)) continue;
    const raw = overrides[key];
    if (raw === undefined) continue;
    const value = FRACTIONS.has(key) ? fraction(raw) : positive(raw);
    if (value === null) return { ok: false, field: key };
    next[key] = value;
  }
  return { ok: true, settings: next };
}
