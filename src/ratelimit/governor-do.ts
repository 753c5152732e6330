import { DurableObject } from 'cloudflare:workers';
import type { Access } from '../catalog';
import { admittedRate, currentFactor, permitsNow, throttled, windowMs } from './adaptive';
import {
  bookCounts,
  freshBook,
  type LeaseAnswer,
  type LeaseRequest,
  type PermitBook,
  reconcile,
  serveLease,
} from './permit-book';
import {
  applyOverrides,
  type GovernorSettings,
  rateOf,
  type SettingsCheck,
  type SettingsOverrides,
  settingsFromEnv,
} from './settings';

export interface ClassSnapshot {
  configuredPerSecond: number;
  /** Calls per second admitted at most over time now (the permits over their window). */
  scheduledPerSecond: number;
  factor: number;
  /** Each permit admits one call per window this long (ms). */
  windowMs: number;
  /** Permits in circulation now (the limit, times the factor). */
  permits: number;
  /** Permits held by isolates' leases. */
  held: number;
  /** Permits not leased and free now. */
  freeNow: number;
  /** How long until an unleased permit is free (0: one is free now); null when every permit is leased. */
  backlogMs: number | null;
  /** Leases holding permits now. */
  activeLeases: number;
  /** Lease requests served. */
  leases: number;
  /** Permits granted by those requests. */
  slotsGranted: number;
  throttleReports: number;
  /** Lease requests that got fewer permits than they asked for. */
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

const CLASSES: readonly Access[] = ['read', 'write'];
const zero = (): Counters => ({ leases: 0, slotsGranted: 0, throttleReports: 0, saturatedLeases: 0 });

/**
 * The account-wide rate budget: one object (`accountGovernor`, stubs.ts) keeps the permits of every
 * outbound call of every isolate, per class (reads, writes): as many as the limit, each admitting one
 * call per window of `1000 / utilization` ms (src/ratelimit/permit-book.ts). Isolates lease permits in
 * batches and renew in the background (`RateGate`), so a call waits on this object only when its isolate
 * has none; an upstream 429 lowers the class budget, which then recovers additively. Settings come from
 * the `RATE_LIMIT_*` vars, overridable at runtime (`configure`). The books are written to SQLite on every
 * change: if the object restarts, permits already leased stay counted.
 */
export class RateGovernor extends DurableObject<Env> {
  #settings: GovernorSettings;
  #books = new Map<Access, PermitBook>();
  #counters = new Map<Access, Counters>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    // The schedule of the earlier governor (a "next free slot" per class) means nothing to the permits.
    sql.exec('DROP TABLE IF EXISTS class_state');
    sql.exec('CREATE TABLE IF NOT EXISTS permit_book (access TEXT PRIMARY KEY, book TEXT NOT NULL)');
    sql.exec(
      'CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), overrides TEXT NOT NULL)',
    );
    this.#settings = this.#loadSettings();
    for (const row of sql.exec<{ access: string; book: string }>('SELECT access, book FROM permit_book')) {
      if (row.access !== 'read' && row.access !== 'write') continue;
      try {
        this.#books.set(row.access, JSON.parse(row.book) as PermitBook);
      } catch {
        // Unreadable: the fresh book below, every permit busy for a lease's life (nothing leased is overspent).
        const fresh = freshBook(this.#settings, row.access);
        const busyUntil = Date.now() + this.#settings.leaseTtlMs + windowMs(this.#settings, row.access);
        this.#books.set(row.access, { ...fresh, free: fresh.free.map(() => busyUntil) });
      }
    }
    for (const access of CLASSES) this.#counters.set(access, zero());
  }

  /** Renews (or starts) an isolate's lease of the class's permits: takes back, keeps, grants. */
  lease(access: Access, request: LeaseRequest): LeaseAnswer {
    const cls = checkAccess(access);
    const { book, answer } = serveLease(
      this.#get(cls),
      this.#settings,
      cls,
      checkRequest(request),
      Date.now(),
    );
    if (!answer.current) return answer;
    this.#put(cls, book);
    const counters = this.#count(cls);
    counters.leases++;
    counters.slotsGranted += answer.granted.length;
    if (answer.retryAfterMs > 0) counters.saturatedLeases++;
    return answer;
  }

  /** An upstream 429 on the class: lower its budget for a while (and pause it for `Retry-After`). */
  reportThrottled(access: Access, retryAfterSeconds?: number): void {
    const cls = checkAccess(access);
    const book = this.#get(cls);
    this.#put(cls, { ...book, ...throttled(book, this.#settings, Date.now(), retryAfterSeconds) });
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
      const book = reconcile(this.#get(access), this.#settings, access, now);
      const counts = bookCounts(book, now);
      const first = book.free[0];
      return {
        configuredPerSecond: rateOf(this.#settings, access),
        scheduledPerSecond: Math.round(admittedRate(book, this.#settings, access, now) * 100) / 100,
        factor: currentFactor(book, this.#settings, now),
        windowMs: Math.round(windowMs(this.#settings, access) * 100) / 100,
        permits: permitsNow(book, this.#settings, access, now),
        held: counts.held,
        freeNow: counts.freeNow,
        backlogMs:
          first === undefined ? null : Math.max(0, Math.ceil(Math.max(first, book.pausedUntil) - now)),
        activeLeases: counts.leases,
        ...this.#count(access),
      };
    };
    return { settings: this.#settings, read: one('read'), write: one('write') };
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /**
   * Forgets the books, factors and counters (tests, or after a limit change upstream). Permits isolates
   * hold stay usable until their lease ends, so the limit can be exceeded for up to one lease's life.
   */
  reset(): void {
    this.ctx.storage.sql.exec('DELETE FROM permit_book');
    this.#books.clear();
    for (const access of CLASSES) this.#counters.set(access, zero());
  }

  #get(access: Access): PermitBook {
    return this.#books.get(access) ?? freshBook(this.#settings, access);
  }

  #put(access: Access, book: PermitBook): void {
    this.#books.set(access, book);
    this.ctx.storage.sql.exec(
      `INSERT INTO permit_book (access, book) VALUES (?, ?)
       ON CONFLICT(access) DO UPDATE SET book = excluded.book`,
      access,
      JSON.stringify(book),
    );
  }

  #count(access: Access): Counters {
    let c = this.#counters.get(access);
    if (!c) {
      c = zero();
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

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The request as the book expects it: numbers finite, lists of finite numbers (it crosses an RPC boundary). */
function checkRequest(r: LeaseRequest): LeaseRequest {
  if (typeof r !== 'object' || r === null || typeof r.lease !== 'string' || r.lease.length === 0) {
    throw new TypeError('lease request needs a lease id');
  }
  return {
    lease: r.lease.slice(0, 64),
    seq: count(r.seq),
    hold: Math.max(0, count(r.hold)),
    returned: Array.isArray(r.returned) ? r.returned.map(count) : [],
    want: Math.max(0, count(r.want)),
    withinMs: Math.max(0, count(r.withinMs)),
    busy: Math.max(0, count(r.busy)),
  };
}
