import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  freshBook,
  type GovernorSettings,
  type LeaseRequest,
  type PermitBook,
  serveLease,
  throttled,
  windowMs,
} from '../../src/ratelimit';

const settings: GovernorSettings = { ...DEFAULT_SETTINGS, readsPerSecond: 10, writesPerSecond: 10 };
const W = windowMs(settings, 'read');

function req(lease: string, seq: number, fields: Partial<LeaseRequest> = {}): LeaseRequest {
  return { lease, seq, hold: 0, returned: [], want: 0, withinMs: 200, busy: 0, ...fields };
}

/** Serves requests in order on one book, answering the last answer and the book. */
function serve(book: PermitBook, steps: Array<{ at: number; r: LeaseRequest }>) {
  let b = book;
  let answer = serveLease(b, settings, 'read', (steps[0] as { r: LeaseRequest }).r, 0).answer;
  for (const { at, r } of steps) {
    const out = serveLease(b, settings, 'read', r, at);
    b = out.book;
    answer = out.answer;
  }
  return { book: b, answer };
}

describe('the permit book', () => {
  it('holds as many permits as the limit, each reused a window (1000 / 0.9 ms at 10/s) apart', () => {
    // 10/s: 97% would round to the whole limit, so one call a second is spare: 9 a second over time.
    expect(W).toBeCloseTo(1000 / 0.9, 6);
    const { book, answer } = serve(freshBook(settings, 'read'), [{ at: 0, r: req('a', 1, { want: 25 }) }]);
    expect(answer.granted).toEqual(Array(10).fill(0));
    expect(answer.retryAfterMs).toBeGreaterThan(0);
    expect(book.free).toEqual([]);
    expect(book.leases.a).toEqual({ units: 10, expiresAt: settings.leaseTtlMs, seq: 1 });
  });

  it('takes returned permits back at the time their holder says they are free', () => {
    const { book, answer } = serve(freshBook(settings, 'read'), [
      { at: 0, r: req('a', 1, { want: 10 }) },
      { at: 100, r: req('a', 2, { hold: 8, returned: [0, 900] }) },
      { at: 100, r: req('b', 1, { want: 2, withinMs: 2_000 }) },
    ]);
    expect(answer.granted).toEqual([0, 900]);
    expect(book.leases.a?.units).toBe(8);
  });

  it('frees a lapsed lease a window after it ended, not before', () => {
    const { answer } = serve(freshBook(settings, 'read'), [
      { at: 0, r: req('a', 1, { want: 10 }) },
      { at: settings.leaseTtlMs + 1, r: req('b', 1, { want: 10, withinMs: 5_000 }) },
    ]);
    const delay = settings.leaseTtlMs + W - (settings.leaseTtlMs + 1);
    expect(answer.granted).toHaveLength(10);
    for (const d of answer.granted) expect(d).toBeCloseTo(delay, 6);
  });

  it('tells a holder whose lease lapsed that its permits are gone, and ignores what it gives back', () => {
    const { book, answer } = serve(freshBook(settings, 'read'), [
      { at: 0, r: req('a', 1, { want: 4 }) },
      {
        at: settings.leaseTtlMs + 5,
        r: req('a', 2, { hold: 2, returned: [0, 0], want: 1, withinMs: 5_000 }),
      },
    ]);
    expect(answer.renewed).toBe(false);
    // Six never leased, four back a window after the lapse: still ten in all.
    const total = book.free.length + Object.values(book.leases).reduce((n, r) => n + r.units, 0);
    expect(total).toBe(10);
    expect(book.leases.a?.units).toBe(1);
  });

  it('counts permits whose grant was lost as busy for a window, and never twice', () => {
    const { book } = serve(freshBook(settings, 'read'), [
      { at: 0, r: req('a', 1, { want: 6 }) },
      // The isolate never saw that answer: it claims nothing.
      { at: 50, r: req('a', 2, { hold: 0, want: 0 }) },
    ]);
    expect(book.leases.a).toBeUndefined();
    expect(book.free.filter((t) => t === 50 + W)).toHaveLength(6);
    expect(book.free).toHaveLength(10);
  });

  it('ignores a request older than one already served', () => {
    const first = serve(freshBook(settings, 'read'), [
      { at: 0, r: req('a', 1, { want: 3 }) },
      { at: 10, r: req('a', 3, { hold: 3, want: 1 }) },
    ]);
    const late = serveLease(first.book, settings, 'read', req('a', 2, { hold: 0, returned: [0, 0, 0] }), 20);
    expect(late.answer.current).toBe(false);
    expect(late.book.leases.a?.units).toBe(4);
    expect(late.book.free).toHaveLength(6);
  });

  it('shrinks holders to the lowered budget after an upstream 429, and pauses for Retry-After', () => {
    const start = serve(freshBook(settings, 'read'), [{ at: 0, r: req('a', 1, { want: 10 }) }]).book;
    const lowered = { ...start, ...throttled(start, settings, 100, undefined) };
    const renewed = serveLease(lowered, settings, 'read', req('a', 2, { hold: 10, want: 2 }), 200);
    expect(renewed.answer.holdLimit).toBe(7);
    expect(renewed.answer.granted).toEqual([]);

    const paused = { ...start, ...throttled(start, settings, 100, 3) };
    const during = serveLease(paused, settings, 'read', req('a', 2, { hold: 10 }), 200);
    expect(during.answer.holdLimit).toBe(0);
    const other = serveLease(during.book, settings, 'read', req('b', 1, { want: 1, withinMs: 500 }), 200);
    expect(other.answer.granted).toEqual([]);
    expect(other.answer.retryAfterMs).toBeGreaterThanOrEqual(2_900);
  });

  it('caps a holder at a fair share while another lease starves, and not otherwise', () => {
    const { book } = serve(freshBook(settings, 'read'), [
      { at: 0, r: req('big', 1, { want: 9 }) },
      { at: 0, r: req('small', 1, { want: 1 }) },
    ]);
    // Uncontended: the big lease may grow to all that is not the small one's.
    const calm = serveLease(book, settings, 'read', req('big', 2, { hold: 9, busy: 9 }), 10);
    expect(calm.answer.holdLimit).toBe(9);
    // The small lease asks for more and gets nothing: it is starving.
    const starving = serveLease(calm.book, settings, 'read', req('small', 2, { hold: 1, want: 4 }), 20);
    expect(starving.answer.granted).toEqual([]);
    const capped = serveLease(starving.book, settings, 'read', req('big', 3, { hold: 9, busy: 9 }), 30);
    expect(capped.answer.holdLimit).toBe(5);
  });

  it('follows a raised or lowered limit', () => {
    const book = serve(freshBook(settings, 'read'), [{ at: 0, r: req('a', 1, { want: 4 }) }]).book;
    const raised = { ...settings, readsPerSecond: 20 };
    const more = serveLease(book, raised, 'read', req('b', 1, { want: 20 }), 10);
    expect(more.answer.granted).toHaveLength(16);
    const lowered = { ...settings, readsPerSecond: 3 };
    const fewer = serveLease(book, lowered, 'read', req('a', 2, { hold: 4 }), 10);
    expect(fewer.answer.holdLimit).toBe(3);
    expect(fewer.book.free).toEqual([]);
  });
});
