/**
 * Bollard's one error model. Every failure Bollard answers with is a `BollardError`, rendered by
 * `renderError` as `{ request_id, error_type, error_codes, message? }` — the shape Checkout.com uses, so
 * a client handles both alike.
 */
export type ErrorType =
  | 'request_invalid'
  | 'request_malformed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'idempotency_key_reused'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'upstream_outcome_unknown'
  | 'internal_error';

const STATUS: Record<ErrorType, number> = {
  request_invalid: 422,
  request_malformed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_key_reused: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  upstream_error: 502,
  upstream_unavailable: 503,
  upstream_outcome_unknown: 504,
  internal_error: 500,
};

export interface BollardErrorOptions {
  /** Machine-readable codes naming each bad field or reason, e.g. `['amount_invalid']`. */
  codes?: readonly string[];
  /** Safe, human-readable text. Never a key, token, card number or raw body. */
  message?: string;
  /** Overrides the default status for the type (e.g. a 403 `forbidden` passed through as 401). */
  status?: number;
  /** Seconds, for 429/503 answers. */
  retryAfter?: number;
  /**
   * The `Cko-Idempotency-Key` a money-moving call was sent with, echoed in the response header so the
   * caller can retry that very call safely (or read the resource) instead of paying twice.
   */
  idempotencyKey?: string;
  /** For 405 answers: the methods the route does take (the `Allow` header, RFC 9110 §15.5.6). */
  allow?: readonly string[];
  cause?: unknown;
}

export class BollardError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  readonly codes: readonly string[];
  readonly retryAfter: number | undefined;
  readonly idempotencyKeyHeader: string | undefined;
  readonly allow: readonly string[] | undefined;

  constructor(type: ErrorType, options: BollardErrorOptions = {}) {
    super(options.message ?? type, { cause: options.cause });
    this.name = 'BollardError';
    this.type = type;
    this.status = options.status ?? STATUS[type];
    this.codes = options.codes ?? [];
    this.retryAfter = options.retryAfter;
    this.idempotencyKeyHeader = options.idempotencyKey;
    this.allow = options.allow;
  }
}

export function isBollardError(err: unknown): err is BollardError {
  return err instanceof BollardError;
}

export interface ErrorBody {
  request_id: string;
  error_type: string;
  error_codes: string[];
  message?: string;
}

/** Renders an error as Bollard's JSON error response. Unknown errors become a generic 500. */
export function renderError(err: unknown, requestId: string): Response {
  const known = isBollardError(err) ? err : new BollardError('internal_error', { message: 'internal error' });
  const body: ErrorBody = {
    request_id: requestId,
    error_type: known.type,
    error_codes: [...known.codes],
  };
  if (known.message && known.message !== known.type) body.message = known.message;
  const headers = new Headers({ 'content-type': 'application/json', 'cko-request-id': requestId });
  if (known.retryAfter !== undefined)
    headers.set('retry-after', String(Math.max(1, Math.ceil(known.retryAfter))));
  if (known.idempotencyKeyHeader !== undefined)
    headers.set('cko-idempotency-key', known.idempotencyKeyHeader);
  if (known.allow !== undefined) headers.set('allow', known.allow.join(', '));
  return new Response(JSON.stringify(body), { status: known.status, headers });
}
