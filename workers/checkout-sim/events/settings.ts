import { getConfig } from '../lib/config';
import type { SimContext } from '../lib/context';
import { getFaults } from '../lib/faults';

/** Webhook fault knobs (`POST /_sim/webhook-faults`). All off by default. */
export interface WebhookFaults {
  /** Probability (0..1) that an event is delivered twice to a workflow; 1 = every event twice. */
  duplicate_rate: number;
  /** Hold deliveries until this many are queued, then release them shuffled; 0 = off. */
  out_of_order: number;
  /** Fail (without sending) the first attempt of every delivery, as a dropped connection would. */
  drop_first_attempt: boolean;
}

export const NO_FAULTS: WebhookFaults = { duplicate_rate: 0, out_of_order: 0, drop_first_attempt: false };

function readSetting(sql: SqlStorage, key: string): unknown {
  const row = sql
    .exec<{ value: string }>('SELECT value FROM sim_webhook_settings WHERE key = ?', key)
    .toArray()[0];
  return row ? (JSON.parse(row.value) as unknown) : undefined;
}

function writeSetting(sql: SqlStorage, key: string, value: unknown): void {
  sql.exec(
    'INSERT INTO sim_webhook_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    key,
    JSON.stringify(value),
  );
}

/** The valid webhook knobs in a loosely typed object (`/_sim/faults`'s `webhooks` part is not validated). */
export function webhookKnobs(raw: unknown): Partial<WebhookFaults> {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const out: Partial<WebhookFaults> = {};
  if (typeof r.duplicate === 'boolean') out.duplicate_rate = r.duplicate ? 1 : 0;
  if (typeof r.duplicate_rate === 'number' && r.duplicate_rate >= 0 && r.duplicate_rate <= 1) {
    out.duplicate_rate = r.duplicate_rate;
  }
  if (Number.isInteger(r.out_of_order) && (r.out_of_order as number) >= 0)
    out.out_of_order = r.out_of_order as number;
  if (typeof r.drop_first_attempt === 'boolean') out.drop_first_attempt = r.drop_first_attempt;
  return out;
}

/**
 * The webhook faults in force: those set with `POST /_sim/webhook-faults`, overridden field by field by
 * the `webhooks` part of the general `POST /_sim/faults` (both documented; the latter clears with it).
 */
export function readFaults(sql: SqlStorage): WebhookFaults {
  return { ...readOwnFaults(sql), ...webhookKnobs(getFaults(sql).webhooks) };
}

/** Only the knobs set with `POST /_sim/webhook-faults`. */
export function readOwnFaults(sql: SqlStorage): WebhookFaults {
  return { ...NO_FAULTS, ...webhookKnobs(readSetting(sql, 'faults')) };
}

export function writeFaults(sql: SqlStorage, faults: WebhookFaults): void {
  writeSetting(sql, 'faults', faults);
}

/**
 * How much faster than real time the retry schedule runs: the simulator config's `time_scale`
 * (`SIM_TIME_SCALE`, overridable with `POST /_sim/config`). 3600 turns the 5-minute first retry into 83 ms.
 */
export function timeScale(sim: Pick<SimContext, 'sql' | 'env'>): number {
  const scale = getConfig(sim.sql, sim.env).time_scale;
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}
