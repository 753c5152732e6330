import type { KeyShape } from './audit-entry';

/**
 * Calls refused for their key are counted, not recorded one by one: per chain, one `attempts` entry per
 * (source, minute, reason, key shape, channel), appended when the minute is over (or earlier, when the
 * chain is read). So a flood of bad keys adds at most a few entries per source per minute to a chain,
 * whatever its rate (docs/agents.md, "Bad keys: counted, limited").
 */
export const ATTEMPT_WINDOW_MS = 60_000;
/**
 * A minute is closed this long after it ends, so attempts still on their way (timed by the Worker when
 * they arrived) land in their own minute's entry rather than opening a second one.
 */
export const ATTEMPT_CLOSE_GRACE_MS = 5_000;

/**
 * Distinct sources counted separately in one chain's minute; attempts from further sources that minute
 * are counted under `OVERFLOW_SOURCE`. This caps a chain at 17 sources' entries a minute, even against a
 * flood from many addresses.
 */
export const MAX_SOURCES_PER_WINDOW = 16;
export const OVERFLOW_SOURCE = '*';

/** The source recorded when a request carries no `CF-Connecting-IP` (not from the internet: a test, a binding). */
export const UNKNOWN_SOURCE = 'unknown';

export type AttemptReason = 'agent_key_missing' | 'agent_key_invalid' | 'agent_key_expired';

/** One call refused for its key. */
export interface Attempt {
  atMs: number;
  source: string;
  reason: AttemptReason;
  keyShape: KeyShape;
  channel: 'rest' | 'mcp';
  method: string;
  requestId: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** HTTP methods as a closed set (anything else is `OTHER`): a caller cannot make a record grow. */
export function attemptMethod(method: string): string {
  const upper = method.toUpperCase();
  return METHODS.has(upper) ? upper : 'OTHER';
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): string | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((n) => n <= 255) ? parts.join('.') : null;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included), or null. */
function ipv6Groups(text: string): number[] | null {
  if (!/^[0-9a-f:.]{2,45}$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const split = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const left = split(halves[0]);
  const right = split(halves[1]);
  const tail = halves.length === 2 ? right : left;
  const v4 = ipv4(tail.at(-1) ?? '');
  if (v4 !== null) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    tail.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...left, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16));
}

/**
 * The source an attempt is counted under: an IPv4 address as is; an IPv6 address as its /64 (one
 * subscriber's whole allocation, which a client can cycle through at will), an IPv4-mapped one as IPv4;
 * `unknown` without the header; `invalid` for anything that is not an address.
 *
 * @example
 * attemptSource('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function attemptSource(header: string | null | undefined): string {
  const text = header?.trim().toLowerCase();
  if (!text) return UNKNOWN_SOURCE;
  const v4 = ipv4(text);
  if (v4 !== null) return v4;
  const groups = ipv6Groups(text);
  if (groups === null) return 'invalid';
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return [groups[6] ?? 0, groups[7] ?? 0].flatMap((g) => [g >> 8, g & 255]).join('.');
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
