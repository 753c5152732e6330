import { isOAuthFailure, type OAuthFailure } from './errors';

// `{prefix}.api[.sandbox].checkout.com` or `api[.sandbox].checkout.com` (facts §1: the SDKs prefix the
// access host exactly as they prefix the API host).
const API_HOST = /^(?:((?:pl-)?[a-z0-9]+)\.)?api\.(sandbox\.)?checkout\.com$/;

/**
 * The token endpoint for an API base: the matching `access` host for a real Checkout.com host
 * (`https://abc.api.sandbox.checkout.com` → `https://abc.access.sandbox.checkout.com/connect/token`),
 * and `{base}/connect/token` for anything else (the simulator, a proxy).
 *
 * @example
 * tokenUrlFor('https://api.checkout.com')   // 'https://access.checkout.com/connect/token'
 * tokenUrlFor('http://127.0.0.1:8788')      // 'http://127.0.0.1:8788/connect/token'
 */
export function tokenUrlFor(apiBase: string): string {
  const url = new URL(apiBase);
  const match = API_HOST.exec(url.hostname);
  if (match) {
    const prefix = match[1] ? `${match[1]}.` : '';
    const sandbox = match[2] ?? '';
    return `https://${prefix}access.${sandbox}checkout.com/connect/token`;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/connect/token`;
}

/** What the token request needs. The secret travels only in the `Authorization: Basic` header. */
export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Sent space-separated in one `scope` field (facts §1). */
  scopes: readonly string[];
}

export type TokenResult =
  | { ok: true; accessToken: string; expiresInSeconds: number }
  | { ok: false; reason: OAuthFailure; status: number | null };

/** RFC 7617 Basic credentials; client id and secret are form-urlencoded first, as RFC 6749 §2.3.1 asks. */
function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const raw = `${enc(clientId)}:${enc(clientSecret)}`;
  const bytes = new TextEncoder().encode(raw);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/**
 * One client-credentials grant. Never throws: every failure is a typed reason, and nothing from the
 * response body other than the OAuth `error` code is kept (bodies may echo credentials).
 */
export async function requestToken(
  req: TokenRequest,
  fetcher: typeof fetch,
  timeoutMs = 10_000,
): Promise<TokenResult> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: req.scopes.join(' ') });
  let res: Response;
  try {
    res = await fetcher(req.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: basicAuth(req.clientId, req.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: body.toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return { ok: false, reason: 'network_error', status: null };
  }
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  if (res.ok) {
    const token = record.access_token;
    const expiresIn = Number(record.expires_in);
    if (typeof token === 'string' && token.length > 0 && Number.isFinite(expiresIn) && expiresIn > 0) {
      return { ok: true, accessToken: token, expiresInSeconds: expiresIn };
    }
    return { ok: false, reason: 'unexpected_response', status: res.status };
  }
  if (res.status >= 500) return { ok: false, reason: 'endpoint_error', status: res.status };
  const code = record.error;
  if (isOAuthFailure(code)) return { ok: false, reason: code, status: res.status };
  // RFC 6749 §5.2: a 401 from the token endpoint means the client failed to authenticate.
  if (res.status === 401) return { ok: false, reason: 'invalid_client', status: res.status };
  return { ok: false, reason: 'unexpected_response', status: res.status };
}
