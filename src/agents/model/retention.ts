import { ANONYMOUS_CHAIN } from './audit-entry';

/**
 * How long the audit log keeps its entries, and how many bad keys a source may present a minute
 * (docs/operations.md, "Retention"; docs/agents.md, "Retention and pruning"). Optional `[vars]`: a
 * missing or malformed value is the default.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_AUDIT_RETENTION_DAYS = {
  /**
   * Agents' chains. Payments audit trails are kept at least a year (PCI DSS v4.0 requirement 10.5.1: 12
   * months of audit log history, the latest three immediately available); 400 days is a year with a margin
   * for a late review, and past it an export is the archive.
   */
  chains: 400,
  /**
   * The `anonymous` chain: calls with no usable key, which name no agent. Security telemetry rather than
   * an agent's trail; three months online (10.5.1's "immediately available"), archive the export for more.
   */
  anonymous: 90,
} as const;

/** Bad-key attempts a source may make a minute (per isolate) before it is answered 429 without a round trip. */
export const DEFAULT_BAD_KEY_LIMIT_PER_MINUTE = 30;

export interface AuditRetention {
  /** An agent's chain entry is pruned this long after its `at_ms`. */
  chainsMs: number;
  /** The same for the `anonymous` chain. */
  anonymousMs: number;
  /** The global index's copy of an agent's chain (never longer than the chain's own). */
  indexMs: number;
  /** The index's copy of `anonymous` (never longer than that chain's own). */
  indexAnonymousMs: number;
}

/** Days as a positive decimal (`400`, `0.5`) up to ten years; anything else is the fallback. */
function days(raw: string | undefined, fallbackMs: number): number {
  const text = raw?.trim() ?? '';
  if (!/^\d{1,4}(\.\d{1,6})?$/.test(text)) return fallbackMs;
  const n = Number(text);
  return n > 0 && n <= 3650 ? Math.round(n * DAY_MS) : fallbackMs;
}

export function auditRetention(env: Env): AuditRetention {
  const chainsMs = days(env.AUDIT_RETENTION_DAYS, DEFAULT_AUDIT_RETENTION_DAYS.chains * DAY_MS);
  const anonymousMs = days(
    env.AUDIT_ANONYMOUS_RETENTION_DAYS,
    DEFAULT_AUDIT_RETENTION_DAYS.anonymous * DAY_MS,
  );
  // The index is a view of the chains: it may forget sooner, never later than they do.
  const indexMs = Math.min(chainsMs, days(env.AUDIT_INDEX_RETENTION_DAYS, chainsMs));
  return { chainsMs, anonymousMs, indexMs, indexAnonymousMs: Math.min(anonymousMs, indexMs) };
}

/** The chain's own window: `anonymous` has its own. */
export function chainRetentionMs(r: AuditRetention, chain: string): number {
  return chain === ANONYMOUS_CHAIN ? r.anonymousMs : r.chainsMs;
}

/** Bad-key attempts per source per minute before 429; `0` turns the limit off. */
export function badKeyLimitPerMinute(env: Env): number {
  const raw = env.AGENT_BAD_KEY_LIMIT_PER_MINUTE?.trim() ?? '';
  if (!/^\d{1,9}$/.test(raw)) return DEFAULT_BAD_KEY_LIMIT_PER_MINUTE;
  return Number(raw);
}

/** What `GET /admin/status` shows: the effective settings. */
export function describeAuditRetention(env: Env): Record<string, number> {
  const r = auditRetention(env);
  const d = (ms: number) => Math.round((ms / DAY_MS) * 1000) / 1000;
  return {
    chains_retention_days: d(r.chainsMs),
    anonymous_retention_days: d(r.anonymousMs),
    index_retention_days: d(r.indexMs),
    index_anonymous_retention_days: d(r.indexAnonymousMs),
    bad_key_limit_per_minute: badKeyLimitPerMinute(env),
  };
}
