import type { ApiHost } from '../catalog';

/** Which Checkout.com environment a base URL names; null for anything else (the simulator, a proxy). */
export type CheckoutEnvironment = 'sandbox' | 'production';

// The SDKs validate an account prefix with `^(?:pl-)?[a-z0-9]+$` (facts §1); region subdomains such as
// `ksa` fit the same shape.
const API_HOST = /^(?:((?:pl-)?[a-z0-9]+)\.)?api\.(sandbox\.)?checkout\.com$/;

export interface ParsedBase {
  /** Origin plus any path prefix, without a trailing slash: `https://abc.api.sandbox.checkout.com`. */
  readonly base: string;
  /** Set when the base is a real Checkout.com API host. */
  readonly environment: CheckoutEnvironment | null;
  /** The account prefix of `{prefix}.api[.sandbox].checkout.com`, if any. */
  readonly prefix: string | null;
}

/**
 * Parses the configured API base. Throws a `TypeError` for something that is not an absolute http(s) URL,
 * or for plain http to a real Checkout.com host (a secret key must never cross the network in clear).
 */
export function parseBaseUrl(baseUrl: string): ParsedBase {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('the Checkout.com API base is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('the Checkout.com API base must be an http(s) URL');
  }
  if (url.search || url.hash)
    throw new TypeError('the Checkout.com API base must not carry a query or fragment');
  const match = API_HOST.exec(url.hostname);
  const environment: CheckoutEnvironment | null = match ? (match[2] ? 'sandbox' : 'production') : null;
  if (environment && url.protocol !== 'https:') {
    throw new TypeError('Checkout.com hosts are only reachable over https');
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { base: `${url.origin}${path}`, environment, prefix: match?.[1] ?? null };
}

/**
 * The base URL that serves a catalog entry's host. On the real API, transfers and balances have their own
 * fixed hosts that are never account-prefixed (facts §1: `transfers.sandbox.checkout.com`,
 * `balances.checkout.com`); everything else goes to the configured (possibly prefixed) API host. Any other
 * base, such as the local simulator, serves every path itself.
 *
 * @example
 * baseForHost('https://abc123.api.sandbox.checkout.com', 'transfers') // 'https://transfers.sandbox.checkout.com'
 * baseForHost('http://127.0.0.1:8788', 'balances')                   // 'http://127.0.0.1:8788'
 */
export function baseForHost(baseUrl: string | ParsedBase, host: ApiHost): string {
  const parsed = typeof baseUrl === 'string' ? parseBaseUrl(baseUrl) : baseUrl;
  if (host === 'api' || parsed.environment === null) return parsed.base;
  return `https://${host}.${parsed.environment === 'sandbox' ? 'sandbox.' : ''}checkout.com`;
}
