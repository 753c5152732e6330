import { EFFECT_NAMES } from './effects';

/**
 * Counters the control plane reports (`GET /_sim/stats`). They are buffered in memory and written to
 * SQLite at most once a second (and before every read of the stats): a request that changes nothing
 * else then writes nothing, so its answer never waits for a storage commit. An eviction loses at most
 * the last second of counts.
 */
export function initStatsSchema(sql: SqlStorage): void {
  sql.exec('CREATE TABLE IF NOT EXISTS sim_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)');
}

interface CounterBuffer {
  adds: Map<string, number>;
  maxes: Map<string, number>;
  flushedAt: number;
}

const FLUSH_EVERY_MS = 1000;
const BUFFERS = new WeakMap<SqlStorage, CounterBuffer>();

function buffer(sql: SqlStorage): CounterBuffer {
  let b = BUFFERS.get(sql);
  if (!b) {
    b = { adds: new Map(), maxes: new Map(), flushedAt: Date.now() };
    BUFFERS.set(sql, b);
  }
  return b;
}

function maybeFlush(sql: SqlStorage, b: CounterBuffer): void {
  if (Date.now() - b.flushedAt >= FLUSH_EVERY_MS) flushCounters(sql);
}

/** Adds `by` to a counter. */
export function bump(sql: SqlStorage, name: string, by = 1): void {
  const b = buffer(sql);
  b.adds.set(name, (b.adds.get(name) ?? 0) + by);
  maybeFlush(sql, b);
}

/** Raises a counter to `value` if it is higher (a high-water mark). */
export function raise(sql: SqlStorage, name: string, value: number): void {
  const b = buffer(sql);
  if (value > (b.maxes.get(name) ?? 0)) b.maxes.set(name, value);
  maybeFlush(sql, b);
}

/** Writes the buffered counts to SQLite. */
export function flushCounters(sql: SqlStorage): void {
  const b = buffer(sql);
  for (const [name, by] of b.adds) {
    sql.exec(
      'INSERT INTO sim_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value',
      name,
      by,
    );
  }
  for (const [name, value] of b.maxes) {
    sql.exec(
      'INSERT INTO sim_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)',
      name,
      value,
    );
  }
  b.adds.clear();
  b.maxes.clear();
  b.flushedAt = Date.now();
}

/** Drops the buffered counts (a reset wipes the table too). */
export function discardCounters(sql: SqlStorage): void {
  BUFFERS.delete(sql);
}

export function readCounters(sql: SqlStorage): Map<string, number> {
  flushCounters(sql);
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
  faultDropsAfter: 'faults:drops_after',
  faultChaos: 'faults:chaos',
  effect: (name: string) => `effect:${name}`,
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
  const effects: Record<string, number> = Object.fromEntries(EFFECT_NAMES.map((n) => [n, 0]));
  for (const [name, value] of c) {
    if (name.startsWith('route:')) byRoute[name.slice(6)] = value;
    if (name.startsWith('status:')) byStatus[name.slice(7)] = value;
    if (name.startsWith('effect:')) effects[name.slice(7)] = value;
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
      drops_before: get(COUNTER.faultDrops) - get(COUNTER.faultDropsAfter),
      drops_after: get(COUNTER.faultDropsAfter),
      delays: get(COUNTER.faultDelays),
      chaos: get(COUNTER.faultChaos),
    },
    effects,
  };
}
