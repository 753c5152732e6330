import { type CatalogEntry, requiredScope, WORKFLOWS_OAUTH_SCOPE } from '../catalog';
import { BollardError, type ErrorType } from '../http/errors';
import type { CheckoutErrorCode, UpstreamResponse } from './contract';

/** What a `CheckoutError` carries about the upstream answer (none of it secret). */
export interface CheckoutErrorDetails {
  /** The catalog entry (or extra entry) that was called. */
  entry: CatalogEntry;
  /** Checkout.com's HTTP status; null when no answer arrived (network error, timeout). */
  upstreamStatus: number | null;
  /** Checkout.com's request id: `request_id` in the body, else the `Cko-Request-Id` header. */
  requestId: string | null;
  /** Checkout.com's `error_type`, e.g. `request_invalid`. */
  errorType: string | null;
  /** Checkout.com's `error_codes`, e.g. `['amount_invalid']`. */
  errorCodes: readonly string[];
  /** Attempts made before giving up. */
  attempts: number;
  /** The `Cko-Idempotency-Key` used, so the caller can safely retry the same call later. */
  idempotencyKey: string | null;
  /** Seconds, from the upstream `Retry-After` (429/503). */
  retryAfter?: number;
  /** The per-attempt timeout, for `timeout`; the call's deadline, for `outcome_unknown`. */
  timeoutMs?: number;
  cause?: unknown;
}

/**
 * How each upstream failure is answered to Bollard's own caller. Checkout.com's 401 is about Bollard's
 * credential, not the caller's: answering 401 would tell a browser or an agent that *its* credential is
 * bad, so it becomes a 502 (the gateway's upstream failed) and the message tells the operator what to fix.
 * A 403 stays a 403: the action is refused upstream (missing scope or a state that forbids it) and a retry
 * will not help. Throttling stays a 429 with `Retry-After`; everything the caller cannot fix is 5xx.
 */
const BOLLARD_ANSWER: Record<CheckoutErrorCode, { type: ErrorType; status: number }> = {
  unauthorized: { type: 'upstream_error', status: 502 },
  forbidden: { type: 'forbidden', status: 403 },
  not_found: { type: 'not_found', status: 404 },
  conflict: { type: 'conflict', status: 409 },
  invalid_request: { type: 'request_invalid', status: 422 },
  rate_limited: { type: 'too_many_requests', status: 429 },
  server_error: { type: 'upstream_error', status: 502 },
  network_error: { type: 'upstream_unavailable', status: 503 },
  timeout: { type: 'upstream_unavailable', status: 504 },
  unexpected_response: { type: 'upstream_error', status: 502 },
  outcome_unknown: { type: 'upstream_outcome_unknown', status: 504 },
};

/** Codes whose upstream `error_codes` name something the caller can act on, so they are passed through. */
const CALLER_FACING = new Set<CheckoutErrorCode>(['invalid_request', 'not_found', 'conflict', 'forbidden']);

/** The scope named in a 403 message: the catalog's, or the workflows fallback the guide leaves unstated. */
function scopeText(entry: CatalogEntry): string {
  return requiredScope(entry) ?? `${WORKFLOWS_OAUTH_SCOPE} (the guide states no scope for workflows)`;
}

/** Safe, fixed text per code. Built from the entry and numbers only: never from a body, key or token. */
function messageFor(code: CheckoutErrorCode, d: CheckoutErrorDetails): string {
  const name = d.entry.name;
  switch (code) {
    case 'unauthorized':
      return `Checkout.com rejected Bollard's credential for ${name} (401): check the secret key, or reissue the OAuth token, for the correct environment (sandbox/production)`;
    case 'forbidden':
      return d.errorType === 'action_not_allowed'
        ? `Checkout.com does not allow ${name} in the ${d.entry.actsOn}'s current state (403)`
        : `Checkout.com refused ${name} (403): the credential lacks ${scopeText(d.entry)}`;
    case 'not_found':
      return `Checkout.com has no such ${d.entry.actsOn}: verify the id and that it belongs to this account and environment`;
    case 'conflict':
      return `Checkout.com reported a conflict for ${name} (409)`;
    case 'invalid_request':
      return `Checkout.com rejected ${name} as invalid (${d.upstreamStatus ?? 422}): see error_codes`;
    case 'rate_limited':
      return `Checkout.com is throttling requests (429) after ${d.attempts} attempt(s): back off and retry`;
    case 'server_error':
      return `Checkout.com failed to process ${name} (${d.upstreamStatus ?? 500}) after ${d.attempts} attempt(s)`;
    case 'network_error':
      return `could not reach Checkout.com for ${name} after ${d.attempts} attempt(s)`;
    case 'timeout':
      return `Checkout.com did not answer ${name} within ${d.timeoutMs ?? 0} ms, ${d.attempts} attempt(s)`;
    case 'unexpected_response':
      return `Checkout.com answered ${name} with an unexpected response (${d.upstreamStatus ?? 'no status'})`;
    case 'outcome_unknown':
      return d.idempotencyKey === null
        ? `the outcome of ${name} is unknown: Checkout.com may or may not have acted; read the ${d.entry.actsOn} before trying again`
        : `the outcome of ${name} is unknown: Checkout.com may or may not have acted; retry with the same Cko-Idempotency-Key (returned in that header), which returns the original outcome and never acts twice, or read the ${d.entry.actsOn}`;
  }
}

/**
 * A failed call to Checkout.com. A `BollardError`, so `app.onError` renders it in the one shape with the
 * status from the mapping above; `code` says what happened upstream and `switch (err.code)` narrows.
 * `status` is what Bollard answers; `upstreamStatus` is what Checkout.com answered.
 */
export class CheckoutError extends BollardError {
  readonly code: CheckoutErrorCode;
  readonly entry: CatalogEntry;
  readonly upstreamStatus: number | null;
  readonly requestId: string | null;
  readonly errorType: string | null;
  readonly errorCodes: readonly string[];
  readonly attempts: number;
  readonly idempotencyKey: string | null;

  constructor(code: CheckoutErrorCode, details: CheckoutErrorDetails) {
    const answer = BOLLARD_ANSWER[code];
    const passThrough = CALLER_FACING.has(code) && details.errorCodes.length > 0;
    super(answer.type, {
      status: answer.status,
      codes: passThrough ? details.errorCodes : [`upstream_${code}`],
      message: messageFor(code, details),
      retryAfter: details.retryAfter,
      ...(details.idempotencyKey === null ? {} : { idempotencyKey: details.idempotencyKey }),
      cause: details.cause,
    });
    this.name = 'CheckoutError';
    this.code = code;
    this.entry = details.entry;
    this.upstreamStatus = details.upstreamStatus;
    this.requestId = details.requestId;
    this.errorType = details.errorType;
    this.errorCodes = details.errorCodes;
    this.attempts = details.attempts;
    this.idempotencyKey = details.idempotencyKey;
  }
}

export function isCheckoutError(err: unknown): err is CheckoutError {
  return err instanceof CheckoutError;
}

/** The error code for a non-2xx upstream status. */
export function codeForStatus(status: number): CheckoutErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid_request';
  if (status === 429) return 'rate_limited';
  if (status >= 500 && status <= 599) return 'server_error';
  return 'unexpected_response';
}

/** Reads Checkout.com's error body `{ request_id, error_type, error_codes }`, tolerating anything else. */
export function readErrorBody(body: unknown): {
  requestId: string | null;
  errorType: string | null;
  errorCodes: string[];
} {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { requestId: null, errorType: null, errorCodes: [] };
  }
  const b = body as Record<string, unknown>;
  const requestId = typeof b.request_id === 'string' ? b.request_id : null;
  const errorType = typeof b.error_type === 'string' ? b.error_type : null;
  const errorCodes = Array.isArray(b.error_codes)
    ? b.error_codes.filter((c): c is string => typeof c === 'string').slice(0, 32)
    : [];
  return { requestId, errorType, errorCodes };
}

/** The `CheckoutError` for a final non-2xx answer. */
export function checkoutErrorFromResponse(
  entry: CatalogEntry,
  res: UpstreamResponse,
  retryAfterMs?: number,
): CheckoutError {
  const parsed = readErrorBody(res.body);
  return new CheckoutError(codeForStatus(res.status), {
    entry,
    upstreamStatus: res.status,
    requestId: parsed.requestId ?? res.requestId,
    errorType: parsed.errorType,
    errorCodes: parsed.errorCodes,
    attempts: res.attempts,
    idempotencyKey: res.idempotencyKey,
    retryAfter: retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}

/** Why the client cannot be built or cannot make a call: Bollard's configuration, never the caller's. */
export type CheckoutConfigErrorCode =
  | 'base_url_invalid'
  | 'secret_key_missing'
  | 'public_key_missing'
  | 'public_key_invalid'
  | 'oauth_token_source_missing'
  | 'auth_mode_invalid';

/** A configuration problem; rendered as a 500 `internal_error` whose message names the setting. */
export class CheckoutConfigError extends BollardError {
  readonly code: CheckoutConfigErrorCode;

  constructor(code: CheckoutConfigErrorCode, message: string) {
    super('internal_error', { codes: ['configuration_error'], message });
    this.name = 'CheckoutConfigError';
    this.code = code;
  }
}
