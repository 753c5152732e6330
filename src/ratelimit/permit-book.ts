import type { Access } from '../catalog';
import { type AdaptiveState, freshAdaptive, fullPermits, permitsNow, windowMs } from './adaptive';
import type { GovernorSettings } from './settings';

/**
 * The governor's books for one class, as pure data (times: ms on the governor's clock).
 *
 * The class has as many **permits** as its limit. A permit admits one call, and the same permit admits
 * another only a window (`windowMs`, 1031 ms at 100/s) after its last use, so any window holds at most
 * as many calls as there are permits, whoever holds them. Isolates lease permits in batches and reuse
 * them locally, window after window, without asking again; the book knows, for every permit not leased,
 * when it is next free, and for every lease how many permits it holds and until when. A lease that is
 * not renewed lapses, and its permits come back free one window after it ended (they may have been used
 * up to its last moment).
 */
export interface PermitBook extends AdaptiveState {
  /** When each permit not held by a lease is next free, ascending. */
  free: number[];
  leases: Record<string, LeaseRecord>;
  /** When a lease holding less than its fair share last asked for permits the book could not give. */
  starvedAt: number | null;
}

export interface LeaseRecord {
  units: number;
  expiresAt: number;
  /** The last request served: an older one arriving late changes nothing. */
  seq: number;
}

/** One isolate's request, renewing its lease (or starting one) and trading permits. */
export interface LeaseRequest {
  /** The isolate's lease id for the class (random, per isolate). */
  lease: string;
  /** Increases with every request of the lease. */
  seq: number;
  /** Permits the isolate keeps. */
  hold: number;
  /** Permits given back: ms from the isolate's now (when it sent this) until each is free (0: free). */
  returned: number[];
  /** More permits wanted. */
  want: number;
  /** Only permits free within this long are worth granting (ms). */
  withinMs: number;
  /** Permits the isolate used in the last window: its demand. */
  busy: number;
}

/** The answer, in delays from the governor's now: the clocks of isolate and governor need not agree. */
export interface LeaseAnswer {
  /** False when the request was older than one already served: ignore the answer. */
  current: boolean;
  /** False when the lease was unknown or had lapsed: every permit held under it before is gone. */
  renewed: boolean;
  /** Ms until each newly granted permit is free. */
  granted: number[];
  /** The lease lasts this long from when the request was sent, unless renewed. */
  ttlMs: number;
  /** A permit is used at most once per window this long. */
  windowMs: number;
  /** Hold no more permits than this (the budget shrank, or others wait for their share): give back the rest. */
  holdLimit: number;
  /** Non-zero when fewer permits than wanted were granted: ms until one is likely free. */
  retryAfterMs: number;
  /** The longest a caller waits for a permit before it is refused. */
  maxWaitMs: number;
}

export function freshBook(settings: GovernorSettings, access: Access): PermitBook {
  return {
    ...freshAdaptive(),
    free: Array.from({ length: fullPermits(settings, access) }, () => 0),
    leases: {},
    starvedAt: null,
  };
}

const heldBy = (book: PermitBook, except?: string): number =>
  Object.entries(book.leases).reduce((n, [id, r]) => (id === except ? n : n + r.units), 0);

/**
 * Lapsed leases give their permits back (free a window after the lease ended), and the count follows
 * the settings: permits are added free now when the limit was raised, and free ones are retired
 * (the latest first) when it was lowered; held ones are then trimmed through `holdLimit`.
 */
export function reconcile(
  book: PermitBook,
  settings: GovernorSettings,
  access: Access,
  now: number,
): PermitBook {
  const w = windowMs(settings, access);
  const free = [...book.free];
  const leases: Record<string, LeaseRecord> = {};
  for (const [id, r] of Object.entries(book.leases)) {
    if (r.expiresAt <= now) for (let i = 0; i < r.units; i++) free.push(r.expiresAt + w);
    else leases[id] = r;
  }
  free.sort((a, b) => a - b);
  const total = free.length + Object.values(leases).reduce((n, r) => n + r.units, 0);
  const full = fullPermits(settings, access);
  for (let i = total; i < full; i++) free.unshift(now);
  for (let i = full; i < total && free.length > 0; i++) free.pop();
  return { ...book, free, leases };
}

/** Serves one lease request: takes back what is returned, renews, grants what fits. Pure. */
export function serveLease(
  book: PermitBook,
  settings: GovernorSettings,
  access: Access,
  req: LeaseRequest,
  now: number,
): { book: PermitBook; answer: LeaseAnswer } {
  const w = windowMs(settings, access);
  const ttlMs = leaseTtl(settings);
  const base = {
    ttlMs,
    windowMs: w,
    maxWaitMs: settings.maxWaitMs,
  };
  const b = reconcile(book, settings, access, now);
  const rec = b.leases[req.lease];
  if (rec && req.seq <= rec.seq) {
    return {
      book: b,
      answer: { ...base, current: false, renewed: true, granted: [], holdLimit: rec.units, retryAfterMs: 0 },
    };
  }
  const free = [...b.free];
  let hold = 0;
  if (rec) {
    const back = Math.min(req.returned.length, rec.units);
    for (let i = 0; i < back; i++) free.push(now + Math.max(0, req.returned[i] ?? 0));
    hold = Math.max(0, Math.min(Math.floor(req.hold), rec.units - back));
    // Permits the book counted but the isolate no longer claims (a grant whose answer was lost): never
    // used by it, but their last use is unknown here, so they are free only a window from now.
    for (let i = hold + back; i < rec.units; i++) free.push(now + w);
  }
  // Returned permits of a lapsed lease came back when it lapsed: they are not taken twice.
  free.sort((a, b2) => a - b2);

  const capacity = permitsNow(b, settings, access, now);
  const others = heldBy(b, req.lease);
  const active = Object.entries(b.leases).filter(([id, r]) => id !== req.lease && r.units > 0).length + 1;
  const fair = Math.ceil(capacity / active);
  const contended = b.starvedAt !== null && now - b.starvedAt < ttlMs && active > 1;
  // Over the budget (it shrank), each lease keeps its proportion; when others starve, no more than a fair share.
  let limit = others + hold > capacity ? Math.floor((hold * capacity) / (others + hold)) : capacity - others;
  if (contended) limit = Math.min(limit, fair);
  if (now < b.pausedUntil) limit = 0;

  const want = Math.max(0, Math.floor(req.want));
  const grantable = Math.max(0, Math.min(want, capacity - others - hold, limit - hold));
  const horizon = now + Math.max(0, req.withinMs);
  const granted: number[] = [];
  while (granted.length < grantable && free.length > 0) {
    const at = Math.max(free[0] as number, b.pausedUntil);
    if (at > horizon) break;
    free.shift();
    granted.push(Math.max(0, at - now));
  }
  const mine = hold + granted.length;
  let starvedAt = b.starvedAt;
  let retryAfterMs = 0;
  if (granted.length < want) {
    if (mine < fair) starvedAt = now;
    const next = free[0];
    retryAfterMs =
      next !== undefined && granted.length < grantable
        ? Math.max(1, Math.ceil(Math.max(next, b.pausedUntil) - now))
        : Math.max(1, Math.ceil(Math.max(w, b.pausedUntil - now)));
  }
  const leases = { ...b.leases };
  if (mine === 0) delete leases[req.lease];
  else leases[req.lease] = { units: mine, expiresAt: now + ttlMs, seq: req.seq };
  return {
    book: { ...b, free, leases, starvedAt },
    answer: {
      ...base,
      current: true,
      renewed: rec !== undefined,
      granted,
      holdLimit: Math.max(0, limit),
      retryAfterMs,
    },
  };
}

/**
 * How long a lease lasts: `leaseTtlMs`, but long enough for a caller to book a permit a whole wait
 * ahead with half the lease left (a permit is never used after its lease ends).
 */
export function leaseTtl(settings: GovernorSettings): number {
  return Math.max(settings.leaseTtlMs, 2 * settings.maxWaitMs + 1_000);
}

/** For the snapshot: permits held by leases, and free ones now. */
export function bookCounts(book: PermitBook, now: number): { held: number; freeNow: number; leases: number } {
  return {
    held: heldBy(book),
    freeNow: now < book.pausedUntil ? 0 : book.free.filter((t) => t <= now).length,
    leases: Object.values(book.leases).filter((r) => r.units > 0).length,
  };
}
