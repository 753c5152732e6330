/**
 * Card tokenization in the browser: card data goes straight from the page to Checkout.com's `POST /tokens`
 * with the public key (`Authorization: Bearer pk_…`) and never reaches Bollard or the merchant's servers.
 * The page then pays with the single-use `tok_…`. Also the storefront's two creates, each sent with one
 * `Idempotency-Key` per attempt (`createPaymentSession`, `createPaymentLink`). Dependency-free; Bollard
 * serves it minified as an ES module at `GET /v1/tokenize.js` (built by `scripts/build-tokenize.ts`).
 *
 * @example
 * import { tokenizeCard, createPaymentSession } from 'https://bollard.example.com/v1/tokenize.js';
 * const { token } = await tokenizeCard({ number: '4242 4242 4242 4242', expiry_month: 12, expiry_year: 2030, cvv: '100' });
 * const { body: session } = await createPaymentSession({ order_token, billing, success_url, failure_url });
 */

export interface CardInput {
  /** Digits, spaces or dashes allowed. */
  number: string;
  expiry_month: number | string;
  /** Four digits (two are read as 20xx). */
  expiry_year: number | string;
  cvv: string;
  name?: string;
}

/** Checkout.com's card token response (the fields a page needs; more may be present). */
export interface CardToken {
  type: 'card';
  /** Single use, valid for 15 minutes. */
  token: string;
  expires_on: string;
  expiry_month: number;
  expiry_year: number;
  last4: string;
  bin: string;
  scheme?: string;
  card_type?: string;
  [field: string]: unknown;
}

export interface TokenizeOptions {
  /** `pk_…`; with `tokenizationUrl`, skips the config request. */
  publicKey?: string;
  tokenizationUrl?: string;
  /** Where to read `{ public_key, tokenization_url }` (default: `config` beside this module, `/v1/config`). */
  configUrl?: string;
  fetch?: typeof fetch;
  /** For the expiry check. */
  now?: () => Date;
  signal?: AbortSignal;
}

export type TokenizeErrorCode =
  | 'card_number_invalid'
  | 'expiry_invalid'
  | 'card_expired'
  | 'cvv_invalid'
  | 'name_invalid'
  | 'configuration_invalid'
  | 'card_declined'
  | 'rate_limited'
  | 'service_unavailable'
  | 'network_error';

const MESSAGES: Record<TokenizeErrorCode, string> = {
  card_number_invalid: 'The card number is not valid.',
  expiry_invalid: 'The expiry date is not valid.',
  card_expired: 'The card has expired.',
  cvv_invalid: 'The security code (CVV) is not valid.',
  name_invalid: 'The cardholder name is too long.',
  configuration_invalid: 'Card payments are not configured correctly on this site.',
  card_declined: 'The card details were not accepted.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  service_unavailable: 'The payment service is unavailable. Please try again.',
  network_error: 'Could not reach the payment service. Check your connection and try again.',
};

/** A tokenization failure with a stable `code` and a message fit to show a shopper. */
export class TokenizeError extends Error {
  readonly code: TokenizeErrorCode;
  /** The card fields at fault (`number`, `expiry`, `cvv`, `name`), for highlighting inputs. */
  readonly fields: string[];
  /** Checkout.com's request id, for support. */
  readonly requestId: string | null;

  constructor(code: TokenizeErrorCode, fields: string[] = [], requestId: string | null = null) {
    super(MESSAGES[code]);
    this.name = 'TokenizeError';
    this.code = code;
    this.fields = fields;
    this.requestId = requestId;
  }
}

/** The Luhn (mod 10) check every card number passes. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

interface CheckedCard {
  number: string;
  expiry_month: number;
  expiry_year: number;
  cvv: string;
  name?: string;
}

/**
 * Checks a card before anything is sent: Luhn and length, a real month not in the past, and the CVV
 * length for the scheme (4 for American Express, else 3). Throws the first problem as a `TokenizeError`.
 */
export function checkCard(card: CardInput, now: Date = new Date()): CheckedCard {
  const number = String(card.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number))
    throw new TokenizeError('card_number_invalid', ['number']);
  const month = Number(card.expiry_month);
  let year = Number(card.expiry_year);
  if (year >= 0 && year < 100) year += 2000;
  if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(year) || year > 2200) {
    throw new TokenizeError('expiry_invalid', ['expiry']);
  }
  // A card is valid through the last day of its expiry month.
  const y = now.getFullYear();
  const m = now.getMonth() + 1;
  if (year < y || (year === y && month < m)) throw new TokenizeError('card_expired', ['expiry']);
  const cvv = String(card.cvv ?? '').trim();
  const amex = /^3[47]/.test(number);
  if (!(amex ? /^\d{4}$/ : /^\d{3}$/).test(cvv)) throw new TokenizeError('cvv_invalid', ['cvv']);
  const name = card.name?.trim();
  if (name !== undefined && name.length > 255) throw new TokenizeError('name_invalid', ['name']);
  return { number, expiry_month: month, expiry_year: year, cvv, ...(name ? { name } : {}) };
}

/** Maps Checkout.com's `error_codes` (e.g. `card_number_invalid`, `cvv_invalid`) to a shopper-facing error. */
function fromUpstreamCodes(codes: readonly string[], requestId: string | null): TokenizeError {
  const has = (part: string) => codes.some((c) => c.includes(part));
  if (has('number')) return new TokenizeError('card_number_invalid', ['number'], requestId);
  if (has('expired')) return new TokenizeError('card_expired', ['expiry'], requestId);
  if (has('expiry')) return new TokenizeError('expiry_invalid', ['expiry'], requestId);
  if (has('cvv')) return new TokenizeError('cvv_invalid', ['cvv'], requestId);
  return new TokenizeError('card_declined', [], requestId);
}

interface ResolvedTarget {
  publicKey: string;
  tokenizationUrl: string;
}

async function resolveTarget(options: TokenizeOptions, doFetch: typeof fetch): Promise<ResolvedTarget> {
  if (options.publicKey && options.tokenizationUrl) {
    return { publicKey: options.publicKey, tokenizationUrl: options.tokenizationUrl };
  }
  const configUrl = options.configUrl ?? new URL('config', import.meta.url).href;
  let res: Response;
  try {
    res = await doFetch(configUrl, { headers: { accept: 'application/json' }, signal: options.signal });
  } catch {
    throw new TokenizeError('network_error');
  }
  if (!res.ok) throw new TokenizeError(res.status >= 500 ? 'service_unavailable' : 'configuration_invalid');
  const config = (await res.json()) as { public_key?: unknown; tokenization_url?: unknown };
  if (typeof config.public_key !== 'string' || typeof config.tokenization_url !== 'string') {
    throw new TokenizeError('configuration_invalid');
  }
  return { publicKey: config.public_key, tokenizationUrl: config.tokenization_url };
}

function safeTarget(target: ResolvedTarget): void {
  // Only ever a public key: a secret key must never be in a page, and never sent with card data.
  if (!/^pk_/.test(target.publicKey)) throw new TokenizeError('configuration_invalid');
  let url: URL;
  try {
    url = new URL(target.tokenizationUrl);
  } catch {
    throw new TokenizeError('configuration_invalid');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TokenizeError('configuration_invalid');
  }
}

/**
 * Checks the card, then exchanges it for a single-use card token at Checkout.com's `POST /tokens`, using
 * the public key. Card data is sent nowhere else. Throws a `TokenizeError` with a stable `code`.
 */
export async function tokenizeCard(card: CardInput, options: TokenizeOptions = {}): Promise<CardToken> {
  const checked = checkCard(card, options.now ? options.now() : new Date());
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const target = await resolveTarget(options, doFetch);
  safeTarget(target);
  let res: Response;
  try {
    res = await doFetch(target.tokenizationUrl, {
      method: 'POST',
      headers: {
        // Not a template literal: the minified bundle is stored inside a string constant.
        authorization: 'Bearer '.concat(target.publicKey),
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ type: 'card', ...checked }),
      signal: options.signal,
    });
  } catch {
    throw new TokenizeError('network_error');
  }
  const requestId = res.headers.get('cko-request-id');
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body && typeof (body as CardToken).token === 'string') return body as CardToken;
  if (res.status === 401 || res.status === 403)
    throw new TokenizeError('configuration_invalid', [], requestId);
  if (res.status === 429) throw new TokenizeError('rate_limited', [], requestId);
  if (res.status >= 500 || res.ok) throw new TokenizeError('service_unavailable', [], requestId);
  const codes = (body as { error_codes?: unknown } | null)?.error_codes;
  return Promise.reject(
    fromUpstreamCodes(
      Array.isArray(codes) ? codes.filter((c): c is string => typeof c === 'string') : [],
      requestId,
    ),
  );
}

/** A storefront create's answer: Checkout.com's body, and the attempt's key. */
export interface Created<T> {
  body: T;
  /** The `Idempotency-Key` the attempt was sent with: retrying with it (and the same body) gets this answer. */
  idempotencyKey: string;
  /** True when Bollard answered from its record of an earlier request with the key. */
  replayed: boolean;
}

export interface CreateOptions {
  /** Bollard's storefront base (default: beside this module, `/v1/`). */
  baseUrl?: string;
  /**
   * The attempt's key (default: a new random one). Pass a failed attempt's `StorefrontError.idempotencyKey`,
   * with the same body, to try that attempt again: a create that did happen is answered, not made twice.
   */
  idempotencyKey?: string;
  /** Tries after the first, same key, on a lost connection, 409 in flight, 429 or 5xx (default 2). */
  retries?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Waits between tries (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** A create Bollard refused or could not complete: the one error shape, and the attempt's key. */
export class StorefrontError extends Error {
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number;
  readonly errorType: string;
  readonly codes: string[];
  /** The attempt's key: retrying with it can never create a second session or link. */
  readonly idempotencyKey: string;

  constructor(status: number, errorType: string, codes: string[], message: string, idempotencyKey: string) {
    super(message);
    this.name = 'StorefrontError';
    this.status = status;
    this.errorType = errorType;
    this.codes = codes;
    this.idempotencyKey = idempotencyKey;
  }
}

/**
 * A fresh `Idempotency-Key`: 128 random bits as hex. `crypto.getRandomValues`, not `randomUUID`, which
 * insecure (plain http) pages lack.
 */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/**
 * Answers worth another try with the same key — a 409 only while the key's first request is still running
 * (not a spent order token). With the same key, no retry can create a second session or link.
 */
const RETRIED = new Set([429, 500, 502, 503, 504]);

async function create<T>(path: string, body: object, options: CreateOptions): Promise<Created<T>> {
  const key = options.idempotencyKey ?? newIdempotencyKey();
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const url = options.baseUrl
    ? ''.concat(options.baseUrl.replace(/\/+$/, ''), '/v1/', path)
    : new URL(path, import.meta.url).href;
  const tries = 1 + (options.retries ?? 2);
  let failure = new StorefrontError(0, 'network_error', [], MESSAGES.network_error, key);
  for (let i = 0; i < tries; i++) {
    if (i > 0) await sleep(failure.status === 0 ? 500 * 2 ** (i - 1) : 1000);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: options.signal,
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      continue;
    }
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.ok && json) {
      return {
        body: json as T,
        idempotencyKey: key,
        replayed: res.headers.get('idempotent-replayed') === 'true',
      };
    }
    const codes = Array.isArray(json?.error_codes)
      ? json.error_codes.filter((c) => typeof c === 'string')
      : [];
    const message =
      typeof json?.message === 'string'
        ? json.message
        : ''.concat('Request failed (', String(res.status), ')');
    failure = new StorefrontError(res.status, String(json?.error_type ?? 'error'), codes, message, key);
    // A Retry-After longer than a shopper waits (a client budget's minute) is the page's to handle.
    const again = res.status === 409 ? codes.includes('idempotency_key_in_flight') : RETRIED.has(res.status);
    if (!again || Number(res.headers.get('retry-after') ?? 0) > 5) break;
  }
  throw failure;
}

/** `POST /v1/payment-sessions` under one `Idempotency-Key` for the attempt; the body as Bollard documents it. */
export function createPaymentSession<T = Record<string, unknown>>(
  body: object,
  options: CreateOptions = {},
): Promise<Created<T>> {
  return create<T>('payment-sessions', body, options);
}

/** `POST /v1/payment-links` under one `Idempotency-Key` for the attempt. */
export function createPaymentLink<T = Record<string, unknown>>(
  body: object,
  options: CreateOptions = {},
): Promise<Created<T>> {
  return create<T>('payment-links', body, options);
}
