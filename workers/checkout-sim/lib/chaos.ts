/**
 * The seeded random fault mix for soak tests (`chaos` in `POST /_sim/faults`). Each request that reaches
 * the fault stage draws from one PRNG per scope (a route key, or `*` for the top-level rule), so a given
 * seed and the same order of requests give the same faults on every run.
 */
export const CHAOS_KINDS = [
  '500',
  '502_html',
  '503_html',
  '429',
  'drop_before',
  'drop_after',
  'stall',
] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

export interface ChaosRule {
  /** Probability (0..1) that a request is faulted. */
  rate: number;
  /** PRNG seed; chosen at random (and stored, so `GET /_sim/faults` shows it) when omitted. */
  seed?: number;
  /** The kinds to pick from, uniformly; every kind by default. */
  kinds?: ChaosKind[];
  /** How long a `stall` waits before the request is processed; 15 s by default. */
  stall_ms?: number;
}

export const DEFAULT_STALL_MS = 15_000;
export const MAX_DELAY_MS = 120_000;

export function isChaosKind(value: unknown): value is ChaosKind {
  return typeof value === 'string' && (CHAOS_KINDS as readonly string[]).includes(value);
}

/** mulberry32: 32 bits of state, good enough spread for fault dice, trivially reproducible. */
export function mulberry32(state: number): { value: number; state: number } {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: next };
}

/** The PRNG states per chaos scope, kept in the object's runtime; a new configuration starts them over. */
export type ChaosStates = Map<string, number>;

/**
 * Rolls the dice for one request: `null` (not faulted) or the kind of fault. Always draws twice, so the
 * sequence of faults for a seed does not depend on `rate` changing which requests are hit.
 */
export function drawChaos(states: ChaosStates, scope: string, rule: ChaosRule): ChaosKind | null {
  const first = mulberry32(states.get(scope) ?? (rule.seed ?? 0) >>> 0);
  const second = mulberry32(first.state);
  states.set(scope, second.state);
  if (first.value >= rule.rate) return null;
  const kinds = rule.kinds && rule.kinds.length > 0 ? rule.kinds : CHAOS_KINDS;
  return kinds[Math.floor(second.value * kinds.length)] ?? null;
}

/** Validates a `chaos` object; returns error codes naming bad fields (`chaos.rate_invalid`, ...). */
export function chaosCodes(value: unknown, prefix: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${prefix}invalid`];
  const r = value as Record<string, unknown>;
  const codes: string[] = [];
  for (const key of Object.keys(r)) {
    if (!['rate', 'seed', 'kinds', 'stall_ms'].includes(key)) codes.push(`${prefix}${key}_unknown`);
  }
  if (typeof r.rate !== 'number' || !(r.rate >= 0 && r.rate <= 1)) codes.push(`${prefix}rate_invalid`);
  if (r.seed !== undefined && !Number.isSafeInteger(r.seed)) codes.push(`${prefix}seed_invalid`);
  if (
    r.kinds !== undefined &&
    !(Array.isArray(r.kinds) && r.kinds.length > 0 && r.kinds.every((k) => isChaosKind(k)))
  ) {
    codes.push(`${prefix}kinds_invalid`);
  }
  if (
    r.stall_ms !== undefined &&
    !(
      Number.isSafeInteger(r.stall_ms) &&
      (r.stall_ms as number) >= 0 &&
      (r.stall_ms as number) <= MAX_DELAY_MS
    )
  ) {
    codes.push(`${prefix}stall_ms_invalid`);
  }
  return codes;
}
