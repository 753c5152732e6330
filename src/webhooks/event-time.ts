/**
 * Event time as a sortable key. Checkout.com's `created_on` is ISO 8601 with a varying number of
 * fractional digits (`…:00.12Z`, `…:00.1234567Z`, none at all), and the envelope schema also admits an
 * offset (`+01:00`). Compared as strings those sort wrongly — `…00.1234567Z` before `…00.12Z`, because
 * `3` < `Z` — so every ordering by event time (the projection's timeline, the order handlers run in)
 * goes through this key instead: the instant in UTC, whole seconds as `YYYY-MM-DDTHH:MM:SS`, then the
 * fraction padded to nanoseconds, `.fffffffffZ`. Equal instants give equal keys whatever their spelling;
 * the string order of keys is the time order (years 0000–9999, which is all the schema admits).
 */

const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/** Fractional digits kept: nanoseconds. Finer digits than that never decide an order in practice. */
const FRACTION_DIGITS = 9;

/**
 * The sortable key of a `created_on` value. A value that does not parse (the envelope schema refuses
 * those, so only rows written before it existed) keeps its own text, prefixed so it sorts after every
 * parsed time rather than among them.
 */
export function eventTimeKey(createdOn: string): string {
  const m = ISO.exec(createdOn.trim());
  if (!m) return `~${createdOn}`;
  const [, date, hm, seconds = '00', fraction = '', zone = 'Z'] = m;
  const offset =
    zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${date}T${hm}:${seconds}${offset}`);
  if (Number.isNaN(ms)) return `~${createdOn}`;
  const whole = new Date(ms).toISOString().slice(0, 19);
  const frac = fraction.slice(0, FRACTION_DIGITS).padEnd(FRACTION_DIGITS, '0');
  return `${whole}.${frac}Z`;
}
