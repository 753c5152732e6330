import { BollardError } from '../http';

/**
 * Why a token could not be had. The first six are the token endpoint's own `error` codes (RFC 6749
 * §5.2, facts §1); `token_rejected` means the API answered 401 to fresh tokens again and again; the rest
 * are transport failures.
 */
export type OAuthFailure =
  | 'invalid_client'
  | 'invalid_scope'
  | 'invalid_request'
  | 'unauthorized_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'token_rejected'
  | 'endpoint_error'
  | 'network_error'
  | 'unexpected_response'
  | 'timeout';

const FAILURES: ReadonlySet<string> = new Set<OAuthFailure>([
  'invalid_client',
  'invalid_scope',
  'invalid_request',
  'unauthorized_client',
  'invalid_grant',
  'unsupported_grant_type',
  'token_rejected',
  'endpoint_error',
  'network_error',
  'unexpected_response',
  'timeout',
]);

export function isOAuthFailure(value: unknown): value is OAuthFailure {
  return typeof value === 'string' && FAILURES.has(value);
}

/** True for failures that a retry may cure (the endpoint was down), as opposed to a broken credential. */
export function isTransient(reason: OAuthFailure): boolean {
  return (
    reason === 'endpoint_error' ||
    reason === 'network_error' ||
    reason === 'unexpected_response' ||
    reason === 'timeout'
  );
}

/** Fixed operator-facing text per reason: never a key, secret, token or response body. */
function messageFor(reason: OAuthFailure): string {
  switch (reason) {
    case 'invalid_client':
      return 'the OAuth token endpoint rejected the client id or secret (check CHECKOUT_OAUTH_CLIENT_ID and CHECKOUT_OAUTH_CLIENT_SECRET for this environment)';
    case 'invalid_scope':
      return 'the OAuth client is not allowed one of the requested scopes (grant them to the access key, or narrow the enabled surfaces)';
    case 'unauthorized_client':
      return 'the OAuth client may not use the client_credentials grant';
    case 'invalid_request':
    case 'invalid_grant':
    case 'unsupported_grant_type':
      return 'the OAuth token endpoint refused the token request';
    case 'token_rejected':
      return 'the API keeps rejecting newly issued OAuth tokens (check that the OAuth client and CHECKOUT_API_BASE belong to the same environment)';
    case 'endpoint_error':
      return 'the OAuth token endpoint answered with a server error';
    case 'network_error':
      return 'the OAuth token endpoint could not be reached';
    case 'unexpected_response':
      return 'the OAuth token endpoint answered with something that is not a token';
    case 'timeout':
      return 'no OAuth token could be had in time (the token cache or the refresher did not answer)';
  }
}

/**
 * A token could not be obtained. Rendered as 502 (a broken credential: the gateway's upstream
 * configuration is wrong) or 503 with `Retry-After` (the endpoint is down, or Bollard is backing off),
 * with `error_codes: ['oauth_<reason>']`. `retryAfterMs` is how long the refresher refuses to try again.
 */
export class OAuthTokenError extends BollardError {
  readonly reason: OAuthFailure;
  readonly retryAfterMs: number;

  constructor(reason: OAuthFailure, retryAfterMs: number, options: { cause?: unknown } = {}) {
    super(isTransient(reason) ? 'upstream_unavailable' : 'upstream_error', {
      codes: [`oauth_${reason}`],
      message: messageFor(reason),
      retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)),
      cause: options.cause,
    });
    this.name = 'OAuthTokenError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}
