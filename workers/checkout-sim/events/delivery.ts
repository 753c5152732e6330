import type { SimContext } from '../lib/context';
import { rearmAlarm } from './queue';
import { readFaults, timeScale } from './settings';
import { signBody } from './signature';

/**
 * The real retry schedule (facts §6, docs /docs/workflows): after a failed attempt, wait 5 min, 10 min,
 * 15 min, 30 min, 1 h, 4 h, 12 h, 12 h; after the eighth retry fails the delivery is given up. Divided
 * by the time scale.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5 * 60_000,
  10 * 60_000,
  15 * 60_000,
  30 * 60_000,
  60 * 60_000,
  4 * 60 * 60_000,
  12 * 60 * 60_000,
  12 * 60 * 60_000,
];

/** The first attempt plus eight retries. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** How long a receiver gets to answer. The real timeout is not documented. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** A claim older than this belongs to a run that died (the object was evicted mid-delivery). */
const STALE_CLAIM_MS = DELIVERY_TIMEOUT_MS * 3;

/** One attempt as the deliveries log shows it. */
export interface AttemptRecord {
  attempt: number;
  at: string;
  /** The receiver's HTTP status, when it answered. */
  status_code?: number;
  /** `unreachable`, `timeout`, or `dropped` (the drop fault). */
  error?: string;
  /** Unscaled schedule delay before the next attempt, when one follows. */
  retry_in_ms?: number;
  /** The same delay after time scaling. */
  scaled_retry_in_ms?: number;
}

interface DueRow extends Record<string, SqlStorageValue> {
  id: number;
  event_id: string;
  url: string;
  headers: string;
  signature_key: string | null;
  attempts: number;
  history: string;
}

type Outcome = { ok: true; status: number } | { ok: false; status?: number; error?: string };

async function send(url: string, body: string, headers: Record<string, string>): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      // A redirect is not an acknowledgement: the receiver must answer 2xx itself.
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300
      ? { ok: true, status: res.status }
      : { ok: false, status: res.status };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { ok: false, error: timedOut ? 'timeout' : 'unreachable' };
  }
}

async function attempt(sim: SimContext, row: DueRow): Promise<void> {
  const event = sim.sql
    .exec<{ body: string }>('SELECT body FROM sim_events WHERE id = ?', row.event_id)
    .toArray()[0];
  const startedAt = sim.now();
  let outcome: Outcome;
  if (!event) {
    outcome = { ok: false, error: 'event_missing' };
  } else if (row.attempts === 0 && readFaults(sim.sql).drop_first_attempt) {
    outcome = { ok: false, error: 'dropped' };
  } else {
    const headers: Record<string, string> = {
      ...(JSON.parse(row.headers) as Record<string, string>),
      'Content-Type': 'application/json',
      'User-Agent': 'checkout-sim-webhooks/1.0',
    };
    if (row.signature_key !== null) headers['Cko-Signature'] = await signBody(row.signature_key, event.body);
    outcome = await send(row.url, event.body, headers);
  }
  const attemptNo = row.attempts + 1;
  const record: AttemptRecord = { attempt: attemptNo, at: new Date(startedAt).toISOString() };
  if (outcome.status !== undefined) record.status_code = outcome.status;
  if (!outcome.ok && outcome.error !== undefined) record.error = outcome.error;
  const now = sim.now();
  let status: 'delivered' | 'pending' | 'failed';
  let nextAt: number | null = null;
  if (outcome.ok) {
    status = 'delivered';
  } else if (attemptNo >= MAX_ATTEMPTS || !event) {
    status = 'failed';
  } else {
    status = 'pending';
    const delay = RETRY_DELAYS_MS[attemptNo - 1] ?? 0;
    const scaled = delay / timeScale(sim);
    record.retry_in_ms = delay;
    record.scaled_retry_in_ms = scaled;
    nextAt = now + scaled;
  }
  const history = JSON.stringify([...(JSON.parse(row.history) as AttemptRecord[]), record]);
  const updated = sim.sql.exec(
    `UPDATE sim_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, claimed_at = NULL,
       delivered_at = ?, history = ? WHERE id = ? AND status = 'in_flight'`,
    status,
    attemptNo,
    nextAt,
    status === 'delivered' ? now : null,
    history,
    row.id,
  ).rowsWritten;
  // Canceled while in flight (its workflow was deleted): keep the attempt on record, schedule nothing.
  if (updated === 0) {
    sim.sql.exec(
      'UPDATE sim_deliveries SET attempts = ?, history = ? WHERE id = ?',
      attemptNo,
      history,
      row.id,
    );
  }
}

/**
 * Delivers every due delivery, one after another in due order (so the out-of-order fault's shuffle is
 * what the receiver sees), then re-arms the alarm for the next one. Called by the simulator object's
 * `alarm()`. Rows are claimed synchronously first, so two overlapping runs never send one twice.
 */
export async function runDueDeliveries(sim: SimContext): Promise<void> {
  const now = sim.now();
  sim.sql.exec(
    "UPDATE sim_deliveries SET status = 'pending', claimed_at = NULL WHERE status = 'in_flight' AND claimed_at < ?",
    now - STALE_CLAIM_MS,
  );
  const due = sim.sql
    .exec<DueRow>(
      `SELECT id, event_id, url, headers, signature_key, attempts, history FROM sim_deliveries
       WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, order_key, id`,
      now,
    )
    .toArray();
  for (const row of due) {
    sim.sql.exec("UPDATE sim_deliveries SET status = 'in_flight', claimed_at = ? WHERE id = ?", now, row.id);
  }
  for (const row of due) await attempt(sim, row);
  await rearmAlarm(sim);
}
