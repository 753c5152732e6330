/**
 * How long the webhook inbox keeps what it stores (docs/operations.md, "Retention"; docs/storage.md).
 * Every setting is a number of days in a `[vars]` entry; a missing or malformed value falls back to the
 * default, and the event-id window is never shorter than Checkout.com's redelivery schedule.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Checkout.com retries a delivery for about 30 hours (facts §6); ids are remembered at least this long. */
export const MIN_EVENT_ID_RETENTION_MS = 2 * DAY_MS;

export interface RetentionPolicy {
  /** A processed event (body, data, handler runs) is kept this long after its last delivery or run. */
  eventsMs: number;
  /** A dead-lettered event (and the rest of its subject) is kept this long, so an operator can replay it. */
  deadLettersMs: number;
  /**
   * A pruned event's id is remembered this long after its last delivery, so a late redelivery is still a
   * duplicate. The exactly-once window is the longer of this and `eventsMs`.
   */
  eventIdsMs: number;
  /** A quarantine entry is kept this long after the last delivery of its body. */
  quarantineMs: number;
}

export const DEFAULT_RETENTION_DAYS = {
  events: 30,
  deadLetters: 90,
  eventIds: 60,
  quarantine: 30,
} as const;

/** Days as a positive decimal (`30`, `0.5`) up to ten years; anything else is the default. */
function days(raw: string | undefined, fallback: number): number {
  const text = raw?.trim() ?? '';
  if (!/^\d{1,4}(\.\d{1,6})?$/.test(text)) return fallback * DAY_MS;
  const n = Number(text);
  return n > 0 && n <= 3650 ? Math.round(n * DAY_MS) : fallback * DAY_MS;
}

/** The `WEBHOOK_*_RETENTION_DAYS` vars (wrangler.toml); one missing or malformed is its default. */
export function retentionFromEnv(env: Env): RetentionPolicy {
  const eventsMs = days(env.WEBHOOK_RETENTION_DAYS, DEFAULT_RETENTION_DAYS.events);
  return {
    eventsMs,
    // A dead letter never goes before a processed event of the same age would.
    deadLettersMs: Math.max(
      eventsMs,
      days(env.WEBHOOK_DEAD_LETTER_RETENTION_DAYS, DEFAULT_RETENTION_DAYS.deadLetters),
    ),
    eventIdsMs: Math.max(
      MIN_EVENT_ID_RETENTION_MS,
      days(env.WEBHOOK_EVENT_ID_RETENTION_DAYS, DEFAULT_RETENTION_DAYS.eventIds),
    ),
    quarantineMs: days(env.WEBHOOK_QUARANTINE_RETENTION_DAYS, DEFAULT_RETENTION_DAYS.quarantine),
  };
}

/** What `GET /admin/status` shows: the effective settings, in days. */
export function describeRetention(p: RetentionPolicy): Record<string, number> {
  const d = (ms: number) => Math.round((ms / DAY_MS) * 1000) / 1000;
  return {
    events_days: d(p.eventsMs),
    dead_letters_days: d(p.deadLettersMs),
    event_ids_days: d(Math.max(p.eventIdsMs, p.eventsMs)),
    quarantine_days: d(p.quarantineMs),
  };
}
