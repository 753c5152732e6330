/**
 * The storefront surface's configuration, parsed once per isolate from `[vars]` and secrets. Pure: takes
 * the env record, returns plain data, and fails loudly (500 in the one error shape, logged) on a
 * misconfiguration rather than silently widening what a browser may do.
 */

/** `signed`: amounts come from an order token the merchant signs. `open`: amounts from the browser (dev). */
export type OrderMode = 'signed' | 'open';

/** Inclusive bounds, in minor units, on what a browser may ask for in open mode. */
export interface CurrencyLimits {
  readonly min: number;
  readonly max: number;
}

export interface StorefrontSettings {
  /** Exact origins (`scheme://host[:port]`) allowed to call, and to be redirected to. */
  readonly origins: readonly string[];
  readonly orderMode: OrderMode;
  /** The currency allow-list with per-currency bounds. */
  readonly currencies: ReadonlyMap<string, CurrencyLimits>;
  /** Applied server-side to every session and link; never taken from the browser. */
  readonly processingChannelId: string | null;
  readonly bodyLimitBytes: number;
  /**
   * Requests per minute per client on the payment endpoints that one isolate lets through (a token
   * bucket, burst = the same number): a stricter cap on top of the `STOREFRONT_CLIENT_LIMITER` binding,
   * whose own limit is static configuration (client-limit.ts).
   */
  readonly clientLimitPerMinute: number;
  /** Tokens whose `exp` is further away than this are refused, so replay records stay bounded. */
  readonly orderTokenMaxTtlSeconds: number;
  readonly demoEnabled: boolean;
}

/** The env fields the storefront reads (so tests can pass a partial override). */
export interface StorefrontEnv {
  STOREFRONT_ORIGINS?: string;
  STOREFRONT_ORDER_MODE?: string;
  STOREFRONT_CURRENCIES?: string;
  STOREFRONT_PROCESSING_CHANNEL_ID?: string;
  STOREFRONT_BODY_LIMIT_BYTES?: string;
  STOREFRONT_CLIENT_LIMIT_PER_MINUTE?: string;
  STOREFRONT_ORDER_TOKEN_MAX_TTL_SECONDS?: string;
  DEMO_ENABLED?: string;
}

export class StorefrontConfigError extends Error {
  override readonly name = 'StorefrontConfigError';
}

const DEFAULT_CURRENCIES = 'GBP:100-100000,EUR:100-100000,USD:100-100000';

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new StorefrontConfigError(`${name} must be a positive integer`);
  return n;
}

/** Normalises an origin the way browsers send it in `Origin` (no path, no trailing slash, lowercase host). */
export function normaliseOrigin(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** `GBP:100-100000,EUR:100-100000`: the allow-list and per-currency min/max in minor units. */
export function parseCurrencies(raw: string): Map<string, CurrencyLimits> {
  const out = new Map<string, CurrencyLimits>();
  for (const part of raw.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const m = /^([A-Z]{3}):(\d+)-(\d+)$/.exec(item);
    if (!m) throw new StorefrontConfigError(`STOREFRONT_CURRENCIES entry "${item}" is not CCY:min-max`);
    const [, code, min, max] = m as unknown as [string, string, string, string];
    const limits = { min: Number(min), max: Number(max) };
    if (limits.min < 1 || limits.max < limits.min || !Number.isSafeInteger(limits.max)) {
      throw new StorefrontConfigError(`STOREFRONT_CURRENCIES bounds for ${code} are invalid`);
    }
    out.set(code, limits);
  }
  if (out.size === 0) throw new StorefrontConfigError('STOREFRONT_CURRENCIES allows no currency');
  return out;
}

/** Parses the storefront settings. Throws `StorefrontConfigError` on anything malformed. */
export function parseStorefrontSettings(env: StorefrontEnv): StorefrontSettings {
  const origins: string[] = [];
  for (const part of (env.STOREFRONT_ORIGINS ?? '').split(',')) {
    if (!part.trim()) continue;
    const origin = normaliseOrigin(part);
    if (!origin)
      throw new StorefrontConfigError(`STOREFRONT_ORIGINS entry "${part.trim()}" is not an origin`);
    origins.push(origin);
  }
  const mode = (env.STOREFRONT_ORDER_MODE ?? 'signed').trim() || 'signed';
  if (mode !== 'signed' && mode !== 'open') {
    throw new StorefrontConfigError('STOREFRONT_ORDER_MODE must be "signed" or "open"');
  }
  const channel = (env.STOREFRONT_PROCESSING_CHANNEL_ID ?? '').trim();
  if (channel && !/^pc_\w{26}$/.test(channel)) {
    throw new StorefrontConfigError('STOREFRONT_PROCESSING_CHANNEL_ID must look like pc_ + 26 characters');
  }
  return {
    origins,
    orderMode: mode,
    currencies: parseCurrencies(env.STOREFRONT_CURRENCIES ?? DEFAULT_CURRENCIES),
    processingChannelId: channel || null,
    bodyLimitBytes: positiveInt('STOREFRONT_BODY_LIMIT_BYTES', env.STOREFRONT_BODY_LIMIT_BYTES, 16_384),
    clientLimitPerMinute: positiveInt(
      'STOREFRONT_CLIENT_LIMIT_PER_MINUTE',
      env.STOREFRONT_CLIENT_LIMIT_PER_MINUTE,
      60,
    ),
    orderTokenMaxTtlSeconds: positiveInt(
      'STOREFRONT_ORDER_TOKEN_MAX_TTL_SECONDS',
      env.STOREFRONT_ORDER_TOKEN_MAX_TTL_SECONDS,
      3600,
    ),
    demoEnabled: env.DEMO_ENABLED === 'true',
  };
}

const cache = new WeakMap<object, StorefrontSettings>();

/** Settings for this env object, parsed once per isolate (env objects are stable per isolate). */
export function storefrontSettings(env: StorefrontEnv): StorefrontSettings {
  let s = cache.get(env);
  if (!s) {
    s = parseStorefrontSettings(env);
    cache.set(env, s);
  }
  return s;
}
