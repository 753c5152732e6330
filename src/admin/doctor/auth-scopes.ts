import { minimalScopes, scopesCover } from '../../catalog';
import type { CheckoutClient, TokenSource } from '../../checkout/contract';
import type { ClientExtras } from '../../checkout/from-env';
import { checkoutClientFor } from '../../checkout/from-env';
import { upstreamFetch } from '../../http/upstream-fetch';
import {
  entriesForSurface,
  type OAuthFailure,
  type OAuthSurface,
  requestToken,
  tokenScopes,
  tokenUrlFor,
} from '../../oauth';
import { authMode } from './env-vars';
import { type ProbeResult, runProbe } from './scope-probes';
import { judgeProbes } from './scope-report';
import { type DoctorCheck, fail } from './types';

/** The agents' needs cover the operators' tools (both may reach every catalog row), so `admin` is not repeated. */
const SURFACES: readonly OAuthSurface[] = ['storefront', 'webhooks', 'agents'];

const DASHBOARD =
  'give the key these scopes in the Dashboard (Developers → Keys), or put a key that has them';

/** A token source that always answers the one token the doctor just obtained. */
function fixedToken(token: string): TokenSource {
  return { getToken: async () => token, invalidate: async () => {} };
}

function oauthFix(reason: OAuthFailure, scopes: readonly string[]): string {
  switch (reason) {
    case 'invalid_scope':
      return `grant the OAuth access key these scopes (Dashboard → Developers → Access keys): ${scopes.join(' ')}; or set CHECKOUT_OAUTH_SCOPES to scopes it has that cover them`;
    case 'invalid_client':
    case 'unauthorized_client':
      return 'check CHECKOUT_OAUTH_CLIENT_ID (var) and CHECKOUT_OAUTH_CLIENT_SECRET (wrangler secret put) belong to one access key of this environment';
    case 'network_error':
    case 'endpoint_error':
    case 'timeout':
    case 'unexpected_response':
      return 'the token endpoint did not answer usefully: check CHECKOUT_API_BASE (or CHECKOUT_OAUTH_TOKEN_URL) and run the doctor again';
    default:
      return 'the token endpoint refused the request: check the OAuth settings in docs/operations.md';
  }
}

async function probeAll(
  client: CheckoutClient,
  scopes: readonly string[],
  memo: Map<string, Promise<ProbeResult>>,
  credential: string,
): Promise<ProbeResult[]> {
  return Promise.all(
    scopes.map((scope) => {
      // Surfaces sharing a credential share its probes: one call per (credential, scope).
      const key = `${credential}\0${scope}`;
      let p = memo.get(key);
      if (!p) {
        p = runProbe(client, scope);
        memo.set(key, p);
      }
      return p;
    }),
  );
}

async function secretKeyCheck(
  env: Env,
  surface: OAuthSurface,
  extras: ClientExtras,
  memo: Map<string, Promise<ProbeResult>>,
): Promise<DoctorCheck> {
  const check = `scopes.${surface}`;
  const keyName =
    surface === 'storefront' && env.CHECKOUT_STOREFRONT_SECRET_KEY
      ? 'CHECKOUT_STOREFRONT_SECRET_KEY'
      : 'CHECKOUT_SECRET_KEY';
  if (!env[keyName]) {
    return fail(check, `secret_key mode, but ${keyName} is not set`, `wrangler secret put ${keyName}`);
  }
  let client: CheckoutClient;
  try {
    client = checkoutClientFor(env, surface, extras);
  } catch {
    return fail(
      check,
      `${keyName} cannot be used (see the secrets check)`,
      `put a secret key: wrangler secret put ${keyName}`,
    );
  }
  const needed = minimalScopes(entriesForSurface(surface));
  const results = await probeAll(client, needed, memo, keyName);
  return judgeProbes(check, `secret key ${keyName}`, results, DASHBOARD);
}

async function oauthCheck(
  env: Env,
  surface: OAuthSurface,
  extras: ClientExtras,
  memo: Map<string, Promise<ProbeResult>>,
): Promise<DoctorCheck> {
  const check = `scopes.${surface}`;
  if (!env.CHECKOUT_OAUTH_CLIENT_ID || !env.CHECKOUT_OAUTH_CLIENT_SECRET) {
    return fail(
      check,
      'oauth mode, but the OAuth client id or secret is not set',
      'set CHECKOUT_OAUTH_CLIENT_ID ([vars]) and wrangler secret put CHECKOUT_OAUTH_CLIENT_SECRET',
    );
  }
  const entries = entriesForSurface(surface);
  const needed = minimalScopes(entries);
  // Exactly what Bollard requests for this surface: CHECKOUT_OAUTH_SCOPES when set, else the least set.
  const requested = tokenScopes(entries, env.CHECKOUT_OAUTH_SCOPES);
  const uncovered = needed.filter((s) => !scopesCover(requested, s));
  if (uncovered.length > 0) {
    return fail(
      check,
      `oauth: CHECKOUT_OAUTH_SCOPES (${requested.join(' ')}) does not cover ${uncovered.join(', ')}`,
      'add them to CHECKOUT_OAUTH_SCOPES, or unset it so each surface asks for exactly what it needs',
    );
  }
  let tokenUrl: string;
  try {
    tokenUrl = env.CHECKOUT_OAUTH_TOKEN_URL || tokenUrlFor(env.CHECKOUT_API_BASE);
  } catch {
    return fail(
      check,
      'oauth: CHECKOUT_API_BASE is not a URL',
      'set CHECKOUT_API_BASE to the account’s API base',
    );
  }
  const token = await requestToken(
    {
      tokenUrl,
      clientId: env.CHECKOUT_OAUTH_CLIENT_ID,
      clientSecret: env.CHECKOUT_OAUTH_CLIENT_SECRET,
      scopes: requested,
    },
    upstreamFetch(env),
    8_000,
  );
  if (!token.ok) {
    return fail(
      check,
      `oauth: the token endpoint refused a token for "${requested.join(' ')}": ${token.reason}${token.status ? ` (${token.status})` : ''}`,
      oauthFix(token.reason, requested),
    );
  }
  const client = checkoutClientFor(env, surface, { ...extras, tokens: fixedToken(token.accessToken) });
  // Each surface's token is its own credential (its own scope set), so its probes are not shared.
  const results = await probeAll(client, needed, memo, `oauth:${surface}`);
  return judgeProbes(
    check,
    `oauth token for "${requested.join(' ')}" (granted by the token endpoint)`,
    results,
    'grant the OAuth access key these scopes',
  );
}

/**
 * For each surface, whether its credential holds every scope its catalog rows need: with a secret key,
 * one harmless call per scope; with OAuth, a token request for exactly the surface's scopes (the token
 * endpoint's `invalid_scope` names a missing grant), then the same calls with that token.
 */
export async function scopeChecks(env: Env, extras: ClientExtras = {}): Promise<DoctorCheck[]> {
  const mode = authMode(env);
  if (mode === null) {
    return [
      fail(
        'scopes',
        `CHECKOUT_AUTH="${env.CHECKOUT_AUTH}" is not an auth mode: every upstream call fails`,
        'set CHECKOUT_AUTH to "secret_key" or "oauth"',
      ),
    ];
  }
  const memo = new Map<string, Promise<ProbeResult>>();
  const run = mode === 'oauth' ? oauthCheck : secretKeyCheck;
  return Promise.all(SURFACES.map((s) => run(env, s, extras, memo)));
}
