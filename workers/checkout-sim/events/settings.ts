import { getConfig } from '../lib/config';
import type { SimContext } from '../lib/context';

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

export function readFaults(sql: SqlStorage): WebhookFaults {
  const stored = readSetting(sql, 'faults');
  return stored && typeof stored === 'object'
    ? { ...NO_FAULTS, ...(stored as Partial<WebhookFaults>) }
    : NO_FAULTS;
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
