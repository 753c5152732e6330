import type { RetryPolicy } from './contract';

/**
 * Defaults: four attempts in all, 250 ms base, 8 s cap. Checkout.com's docs ask for exponential backoff
 * with jitter on 429 and 5xx; a Worker holding its caller should give up within seconds, not minutes.
 */
export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 10_000,
};

/** Merges a caller's partial policy over the defaults, rejecting nonsense early. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> = {}): Required<RetryPolicy> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(partial) };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new TypeError('retry.maxAttempts must be an integer >= 1');
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0) throw new TypeError(`retry.${key} must be >= 0`);
  }
  return policy;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The upper bound of the full-jitter window before retry number `retry` (0 for the first retry). */
export function backoffCeiling(retry: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}

/**
 * Full jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/): a uniform
 * delay in [0, min(cap, base * 2^retry)). Spreads the retries of many isolates that hit a 429 together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(retry, policy));
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Returns milliseconds from `now`,
 * or undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Statuses worth another attempt: throttling and server-side failures. Never any other 4xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}
