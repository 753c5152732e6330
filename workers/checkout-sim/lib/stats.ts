/**
 * Counters the control plane reports (`GET /_sim/stats`). Kept in SQLite so they survive the object
 * being evicted between a benchmark's phases; one upsert per counter is cheap next to a request.
 */
export function initStatsSchema(sql: SqlStorage): void {
  sql.exec('CREATE TABLE IF NOT EXISTS sim_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)');
}

/** Adds `by` to a counter. */
export function bump(sql: SqlStorage, name: string, by = 1): void {
  sql.exec(
    'INSERT INTO sim_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value',
    name,
    by,
  );
}

/** Raises a counter to `value` if it is higher (a high-water mark). */
export function raise(sql: SqlStorage, name: string, value: number): void {
  sql.exec(
    'INSERT INTO sim_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)',
    name,
    value,
  );
}

export function readCounters(sql: SqlStorage): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of sql.exec<{ name: string; value: number }>('SELECT name, value FROM sim_counters')) {
    out.set(row.name, row.value);
  }
  return out;
}

/** Counter names, in one place. */
export const COUNTER = {
  total: 'requests:total',
  read: 'requests:read',
  write: 'requests:write',
  route: (key: string) => `route:${key}`,
  rateLimited: 'rate_limited',
  responses429: 'responses:429',
  tokensIssued: 'oauth:tokens_issued',
  idempotentReplays: 'idempotency:replays',
  idempotencyConflicts: 'idempotency:concurrent_rejected',
  faultErrors: 'faults:errors',
  faultDrops: 'faults:drops',
  faultDelays: 'faults:delays',
  peakRead: 'peak:read_per_second',
  peakWrite: 'peak:write_per_second',
  status: (status: number) => `status:${status}`,
} as const;

/** The stats body, minus the `webhooks` part the events module fills. */
export function statsBody(sql: SqlStorage): Record<string, unknown> {
  const c = readCounters(sql);
  const get = (name: string) => c.get(name) ?? 0;
  const byRoute: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  for (const [name, value] of c) {
    if (name.startsWith('route:')) byRoute[name.slice(6)] = value;
    if (name.startsWith('status:')) byStatus[name.slice(7)] = value;
  }
  return {
    requests: {
      total: get(COUNTER.total),
      read: get(COUNTER.read),
      write: get(COUNTER.write),
      by_route: byRoute,
    },
    responses_by_status: byStatus,
    peak_per_second: { read: get(COUNTER.peakRead), write: get(COUNTER.peakWrite) },
    rate_limited: get(COUNTER.rateLimited),
    responses_429: get(COUNTER.responses429),
    tokens_issued: get(COUNTER.tokensIssued),
    idempotent_replays: get(COUNTER.idempotentReplays),
    idempotency_concurrent_rejected: get(COUNTER.idempotencyConflicts),
    faults: {
      errors: get(COUNTER.faultErrors),
      drops: get(COUNTER.faultDrops),
      delays: get(COUNTER.faultDelays),
    },
  };
}
