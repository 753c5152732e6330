import { DurableObject } from 'cloudflare:workers';
import type { Access } from '../catalog';
import { type ClassState, currentFactor, freshState, lease, scheduledRate, throttled } from './schedule';
import {
  applyOverrides,
  type GovernorSettings,
  rateOf,
  type SettingsCheck,
  type SettingsOverrides,
  settingsFromEnv,
} from './settings';

/** A lease as it crosses the RPC boundary: delays relative to the governor's clock, so clocks never need to agree. */
export interface LeaseGrant {
  /** Ms from now until each slot, ascending. */
  delays: number[];
  /** How long after its time a slot may still be used. */
  graceMs: number;
  /** Non-zero when fewer slots than asked fit within the maximum wait: ms until one would. */
  retryAfterMs: number;
  /** The maximum wait: a caller still without a slot after this long is shed. */
  maxWaitMs: number;
  /** Non-zero when slots are kept out of the end of each second: a slot is then never used past its second. */
  windowGuardMs: number;
}

export interface ClassSnapshot {
  configuredPerSecond: number;
  scheduledPerSecond: number;
  factor: number;
  /** How far ahead the schedule is booked (ms): the wait a new caller would have. */
  backlogMs: number;
  leases: number;
  slotsGranted: number;
  throttleReports: number;
  /** Leases that could not fit every slot asked for within the maximum wait: callers were shed. */
  saturatedLeases: number;
}

export interface GovernorSnapshot {
  settings: GovernorSettings;
  read: ClassSnapshot;
  write: ClassSnapshot;
}

interface Counters {
  leases: number;
  slotsGranted: number;
  throttleReports: number;
  saturatedLeases: number;
}

interface StateRow extends Record<string, SqlStorageValue> {
  access: string;
  tat: number;
  factor_at_decrease: number;
  decreased_at: number | null;
}

const CLASSES: readonly Access[] = ['read', 'write'];

/**
 * The account-wide rate budget: one object (`accountGovernor`, stubs.ts) schedules every outbound call of
 * every isolate, per class (reads, writes). Isolates lease a few slots at a time (`RateGate`), so the
 * object sees a fraction of a round trip per call; an upstream 429 lowers the class budget, which then
 * recovers additively. Settings come from the `RATE_LIMIT_*` vars, overridable at runtime (`configure`).
 */
export class RateGovernor extends DurableObject<Env> {
  #settings: GovernorSettings;
  #state = new Map<Access, ClassState>();
  #counters = new Map<Access, Counters>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS class_state (access TEXT PRIMARY KEY, tat REAL NOT NULL,
      factor_at_decrease REAL NOT NULL, decreased_at REAL)`);
    sql.exec(
      'CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), overrides TEXT NOT NULL)',
    );
    this.#settings = this.#loadSettings();
    for (const row of sql.exec<StateRow>(
      'SELECT access, tat, factor_at_decrease, decreased_at FROM class_state',
    )) {
      if (row.access === 'read' || row.access === 'write') {
        this.#state.set(row.access, {
          tat: row.tat,
          factorAtDecrease: row.factor_at_decrease,
          decreasedAt: row.decreased_at,
        });
      }
    }
    for (const access of CLASSES)
      this.#counters.set(access, { leases: 0, slotsGranted: 0, throttleReports: 0, saturatedLeases: 0 });
  }

  /** Up to `want` slots for the class, none further away than the maximum wait. */
  lease(access: Access, want: number): LeaseGrant {
    const cls = checkAccess(access);
    const now = Date.now();
    const result = lease(this.#get(cls), this.#settings, cls, want, now);
    this.#put(cls, result.state);
    const counters = this.#count(cls);
    counters.leases++;
    counters.slotsGranted += result.lease.slots.length;
    if (result.lease.retryAfterMs > 0) counters.saturatedLeases++;
    return {
      delays: result.lease.slots.map((s) => Math.max(0, s - now)),
      graceMs: this.#settings.slotGraceMs,
      retryAfterMs: result.lease.retryAfterMs,
      maxWaitMs: this.#settings.maxWaitMs,
      windowGuardMs: this.#settings.windowGuardMs,
    };
  }

  /** An upstream 429 on the class: lower its budget for a while (and pause it for `Retry-After`). */
  reportThrottled(access: Access, retryAfterSeconds?: number): void {
    const cls = checkAccess(access);
    this.#put(cls, throttled(this.#get(cls), this.#settings, Date.now(), retryAfterSeconds));
    this.#count(cls).throttleReports++;
  }

  /**
   * Runtime overrides on top of the vars (persisted until `configure(null)` clears them). Invalid values
   * are refused by field name and change nothing.
   */
  configure(overrides: SettingsOverrides | null): SettingsCheck {
    if (overrides === null) {
      this.ctx.storage.sql.exec('DELETE FROM settings');
      this.#settings = settingsFromEnv(this.env);
      return { ok: true, settings: this.#settings };
    }
    const stored = this.#storedOverrides();
    const merged = { ...stored, ...overrides };
    const check = applyOverrides(settingsFromEnv(this.env), merged);
    if (!check.ok) return check;
    this.ctx.storage.sql.exec(
      `INSERT INTO settings (id, overrides) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET overrides = excluded.overrides`,
      JSON.stringify(merged),
    );
    this.#settings = check.settings;
    return check;
  }

  /** The budgets as they stand (for diagnostics, tests and the benchmark). */
  snapshot(): GovernorSnapshot {
    const now = Date.now();
    const one = (access: Access): ClassSnapshot => {
      const state = this.#get(access);
      return {
        configuredPerSecond: rateOf(this.#settings, access),
        scheduledPerSecond: scheduledRate(state, this.#settings, access, now),
        factor: currentFactor(state, this.#settings, now),
        backlogMs: Math.max(0, state.tat - now),
        ...this.#count(access),
      };
    };
    return { settings: this.#settings, read: one('read'), write: one('write') };
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /** Forgets the schedules, factors and counters (tests, or after a limit change upstream). */
  reset(): void {
    this.ctx.storage.sql.exec('DELETE FROM class_state');
    this.#state.clear();
    for (const access of CLASSES)
      this.#counters.set(access, { leases: 0, slotsGranted: 0, throttleReports: 0, saturatedLeases: 0 });
  }

  #get(access: Access): ClassState {
    return this.#state.get(access) ?? freshState();
  }

  // Persisted on every change: if the object is evicted and restarted, slots already leased stay booked.
  #put(access: Access, state: ClassState): void {
    this.#state.set(access, state);
    this.ctx.storage.sql.exec(
      `INSERT INTO class_state (access, tat, factor_at_decrease, decreased_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(access) DO UPDATE SET tat = excluded.tat, factor_at_decrease = excluded.factor_at_decrease,
         decreased_at = excluded.decreased_at`,
      access,
      state.tat,
      state.factorAtDecrease,
      state.decreasedAt,
    );
  }

  #count(access: Access): Counters {
    let c = this.#counters.get(access);
    if (!c) {
      c = { leases: 0, slotsGranted: 0, throttleReports: 0, saturatedLeases: 0 };
      this.#counters.set(access, c);
    }
    return c;
  }

  #storedOverrides(): SettingsOverrides {
    const row = this.ctx.storage.sql
      .exec<{ overrides: string }>('SELECT overrides FROM settings')
      .toArray()[0];
    if (!row) return {};
    try {
      return JSON.parse(row.overrides) as SettingsOverrides;
    } catch {
      return {};
    }
  }

  #loadSettings(): GovernorSettings {
    const check = applyOverrides(settingsFromEnv(this.env), this.#storedOverrides());
    return check.ok ? check.settings : settingsFromEnv(this.env);
  }
}

function checkAccess(access: unknown): Access {
  if (access === 'read' || access === 'write') return access;
  throw new TypeError('access must be "read" or "write"');
}
