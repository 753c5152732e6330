/**
 * The outbound client's public contract. Every surface (storefront, webhooks, agents) codes against
 * these types; `client.ts` implements them, `src/oauth/` provides a `TokenSource`, `src/ratelimit/` a
 * `RateGate`. Those two are declared beside their implementations and re-exported here, so that the client
 * depends on them and never the other way round (no folder cycle).
 */
import type { CatalogEntry } from '../catalog';
import type { Logger } from '../http/log';
import type { TokenSource } from '../oauth/contract';
import type { Admission, RateGate } from '../ratelimit/contract';

export type { Admission, RateGate, TokenSource };

/** How the client authenticates calls other than `POST /tokens`. */
export type Credential = { kind: 'secret_key'; secretKey: string } | { kind: 'oauth'; tokens: TokenSource };

export interface RetryPolicy {
  /** Total attempts including the first (default 4). */
  maxAttempts: number;
  /** Full-jitter exponential backoff: delay = random() * min(maxDelayMs, baseDelayMs * 2 ** attempt). */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * The longest `Retry-After` the client waits out itself (default 10 s). A longer one is not retried:
   * the 429 goes back to the caller with its `Retry-After`, rather than holding the request open.
   */
  maxRetryAfterMs?: number;
}

export interface CheckoutClientOptions {
  /**
   * The account's API base URL: `https://{prefix}.api.sandbox.checkout.com`, `https://api.checkout.com`,
   * or the simulator (`http://127.0.0.1:8788`). Transfers and balances are routed to their own hosts
   * when the base is a real Checkout.com host; any other base serves every path itself.
   */
  baseUrl: string;
  credential: Credential;
  /** The public key, used for `POST /tokens` only (and never any secret there). */
  publicKey?: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout (default 15 s), always cut short by what is left of the call's deadline. */
  timeoutMs?: number;
  /**
   * The overall deadline of one logical call, across every attempt, backoff, rate-gate wait and token
   * fetch (default 30 s). When it passes, a read fails and a write whose outcome cannot be known fails
   * with `outcome_unknown`. Per surface: see `checkoutClientFor`.
   */
  deadlineMs?: number;
  gate?: RateGate;
  /** Generates idempotency keys (default `crypto.randomUUID()`). */
  newIdempotencyKey?: () => string;
  /** Where retries and give-ups are logged (redacted JSON lines); default: nowhere. */
  logger?: Logger;
}

export interface CallOptions {
  /** Path parameters for the entry's template, e.g. `{ id: 'pay_...' }`. */
  params?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** JSON body. */
  body?: unknown;
  /** `Cko-Idempotency-Key`; generated for money-moving writes when absent and reused on every retry. */
  idempotencyKey?: string;
  /** This call's overall deadline, overriding the client's `deadlineMs`. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Extra headers (never `Authorization`, which the client owns). */
  headers?: Readonly<Record<string, string>>;
}

/** An upstream answer, whatever its status (the raw form the agent gateway passes through). */
export interface UpstreamResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body (204) or a non-JSON body. */
  body: unknown;
  /** `Cko-Request-Id` (header, or `request_id` in the body). */
  requestId: string | null;
  /** How many attempts were made (1 = no retry). */
  attempts: number;
  idempotencyKey: string | null;
}

export type CheckoutErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid_request'
  | 'rate_limited'
  | 'server_error'
  | 'network_error'
  | 'timeout'
  | 'unexpected_response'
  | 'outcome_unknown';

export interface CheckoutClient {
  /**
   * Sends a catalog call with retries, and returns the final answer whatever its status — except that
   * a 2xx is returned only with the JSON the call answers, and a write that may have taken effect
   * without Bollard learning how (cut connections, timeouts, 5xx, the first attempt still running at
   * the deadline) throws `CheckoutError('outcome_unknown')` carrying the key to retry with.
   */
  send(entry: CatalogEntry | string, options?: CallOptions): Promise<UpstreamResponse>;
  /** Like `send`, but a non-2xx answer throws a `CheckoutError`. */
  call<T = unknown>(
    entry: CatalogEntry | string,
    options?: CallOptions,
  ): Promise<UpstreamResponse & { body: T }>;
}
