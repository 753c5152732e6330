import type { AttemptRecord } from './delivery';

/**
 * Webhook counters for `GET /_sim/stats` (merged there as `webhooks`): deliveries `delivered`, retry
 * attempts made (`retried`), deliveries given up (`failed`), and deliveries not finished (`pending`,
 * including held and in-flight ones).
 */
export function webhookStats(sql: SqlStorage): {
  events: number;
  delivered: number;
  retried: number;
  failed: number;
  pending: number;
} {
  const row = sql
    .exec<{ delivered: number; retried: number; failed: number; pending: number }>(
      `SELECT
         COALESCE(SUM(status = 'delivered'), 0) AS delivered,
         COALESCE(SUM(MAX(attempts - 1, 0)), 0) AS retried,
         COALESCE(SUM(status = 'failed'), 0) AS failed,
         COALESCE(SUM(status IN ('pending', 'in_flight', 'held')), 0) AS pending
       FROM sim_deliveries`,
    )
    .one();
  const events = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM sim_events').one().n;
  return { events, ...row };
}

interface LogRow extends Record<string, SqlStorageValue> {
  id: number;
  event_id: string;
  event_type: string | null;
  workflow_id: string;
  action_id: string;
  url: string;
  kind: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  delivered_at: number | null;
  history: string;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface LogFilter {
  eventId?: string;
  status?: string;
  workflowId?: string;
  kind?: string;
  limit: number;
}

/**
 * The deliveries log: the latest `limit` deliveries, oldest first, one entry per (event, workflow action)
 * delivery with its attempts. Never shows the action's headers or signing key.
 */
export function deliveriesLog(sql: SqlStorage, filter: LogFilter): { total_count: number; data: unknown[] } {
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  if (filter.eventId) {
    where.push('d.event_id = ?');
    args.push(filter.eventId);
  }
  if (filter.status) {
    where.push('d.status = ?');
    args.push(filter.status);
  }
  if (filter.workflowId) {
    where.push('d.workflow_id = ?');
    args.push(filter.workflowId);
  }
  if (filter.kind) {
    where.push('d.kind = ?');
    args.push(filter.kind);
  }
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const total = sql
    .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM sim_deliveries d ${clause}`, ...args)
    .one().n;
  const rows = sql
    .exec<LogRow>(
      `SELECT d.id, d.event_id, e.type AS event_type, d.workflow_id, d.action_id, d.url, d.kind, d.status, d.attempts,
         d.next_attempt_at, d.created_at, d.delivered_at, d.history
       FROM sim_deliveries d LEFT JOIN sim_events e ON e.id = d.event_id ${clause}
       ORDER BY d.id DESC LIMIT ?`,
      ...args,
      filter.limit,
    )
    .toArray()
    .reverse();
  return {
    total_count: total,
    data: rows.map((r) => ({
      id: r.id,
      event_id: r.event_id,
      event_type: r.event_type,
      workflow_id: r.workflow_id,
      action_id: r.action_id,
      url: r.url,
      kind: r.kind,
      status: r.status,
      attempts: r.attempts,
      next_attempt_at: r.status === 'pending' ? isoOrNull(r.next_attempt_at) : null,
      created_at: isoOrNull(r.created_at),
      delivered_at: isoOrNull(r.delivered_at),
      history: JSON.parse(r.history) as AttemptRecord[],
    })),
  };
}

/** Stops every unfinished delivery to a deleted workflow (one in flight is not retried). */
export function cancelDeliveriesFor(sql: SqlStorage, workflowId: string): void {
  sql.exec(
    `UPDATE sim_deliveries SET status = 'canceled', next_attempt_at = NULL
     WHERE workflow_id = ? AND status IN ('pending', 'held', 'in_flight')`,
    workflowId,
  );
}

/** Stops every unfinished delivery through a removed webhook action. */
export function cancelDeliveriesForAction(sql: SqlStorage, actionId: string): void {
  sql.exec(
    `UPDATE sim_deliveries SET status = 'canceled', next_attempt_at = NULL
     WHERE action_id = ? AND status IN ('pending', 'held', 'in_flight')`,
    actionId,
  );
}

interface InvocationRow extends Record<string, SqlStorageValue> {
  id: number;
  workflow_id: string;
  status: string;
  attempts: number;
  history: string;
}

/**
 * The attempts made to deliver one event through one action, in the shape of the real
 * `GET /workflows/events/{eventId}/actions/{actionId}`: overall `status` (`successful` once any delivery
 * succeeded, `failed` when all gave up, else `pending`) and one invocation per attempt.
 */
export function invocationsFor(
  sql: SqlStorage,
  eventId: string,
  actionId: string,
): { workflowId: string; status: string; invocations: unknown[] } | null {
  const rows = sql
    .exec<InvocationRow>(
      'SELECT id, workflow_id, status, attempts, history FROM sim_deliveries WHERE event_id = ? AND action_id = ? ORDER BY id',
      eventId,
      actionId,
    )
    .toArray();
  const first = rows[0];
  if (!first) return null;
  const status = rows.some((r) => r.status === 'delivered')
    ? 'successful'
    : rows.every((r) => r.status === 'failed' || r.status === 'canceled')
      ? 'failed'
      : 'pending';
  const invocations = rows.flatMap((r) =>
    (JSON.parse(r.history) as AttemptRecord[]).map((h) => {
      const succeeded = h.status_code !== undefined && h.status_code >= 200 && h.status_code < 300;
      return {
        invocation_id: `ivc_${r.id}_${h.attempt}`,
        timestamp: h.at,
        retry: h.attempt > 1,
        succeeded,
        final: succeeded || (h.attempt === r.attempts && r.status === 'failed'),
        result_details: {
          ...(h.status_code !== undefined ? { status_code: h.status_code } : {}),
          ...(h.error !== undefined ? { error: h.error } : {}),
        },
      };
    }),
  );
  return { workflowId: first.workflow_id, status, invocations };
}
