import { upstreamFetch } from '../http/upstream-fetch';
import { oauthTokenSourceFromEnv } from '../oauth/from-env';
import { entriesForSurface } from '../oauth/surfaces';
import { rateGateFromEnv } from '../ratelimit/from-env';
import { createCheckoutClient, DEFAULT_TIMEOUT_MS } from './client';
import type { CheckoutClient, Credential, RateGate, TokenSource } from './contract';
import { CheckoutConfigError } from './errors';

/** Which Bollard surface is calling; the storefront gets its own least-privilege key when one is set. */
export type Surface = 'storefront' | 'webhooks' | 'agents' | 'admin';

export interface ClientExtras {
  /**
   * Admission control. Default: the account-wide governor (`src/ratelimit/`) when calls go to the
   * configured upstream; none when a custom `fetch` is given (tests, tools) unless a gate is passed;
   * `null` turns it off.
   */
  gate?: RateGate | null;
  /**
   * With `CHECKOUT_AUTH=oauth`: the token source. Default: the KV-cached, single-flight source of
   * `src/oauth/`, requesting the least scopes the surface needs.
   */
  tokens?: TokenSource;
  /** With `CHECKOUT_AUTH=oauth`: scopes computed elsewhere (e.g. `agentUpstreamScopes`) instead of the surface's. */
  oauthScopes?: readonly string[];
  /** The request's `ctx.waitUntil`, which keeps background token refreshes alive past the response. */
  waitUntil?: (promise: Promise<unknown>) => void;
  fetch?: typeof fetch;
}

/**
 * The outbound client for a surface, from the Worker's bindings: `CHECKOUT_API_BASE`, the public key,
 * and the secret key (`CHECKOUT_STOREFRONT_SECRET_KEY` for the storefront when set, else
 * `CHECKOUT_SECRET_KEY`) or, with `CHECKOUT_AUTH=oauth`, the given token source.
 *
 * @example
 * const client = checkoutClientFor(c.env, 'storefront', { gate });
 */
export function checkoutClientFor(env: Env, surface: Surface, extras: ClientExtras = {}): CheckoutClient {
  const timing = upstreamTiming(env, surface);
  return createCheckoutClient({
    deadlineMs: timing.deadlineMs,
    timeoutMs: timing.attemptTimeoutMs,
    baseUrl: env.CHECKOUT_API_BASE,
    credential: credentialFor(env, surface, extras.tokens ?? defaultTokens(env, surface, extras)),
    publicKey: env.CHECKOUT_PUBLIC_KEY || undefined,
    fetch: extras.fetch ?? upstreamFetch(env),
    gate:
      extras.gate === null ? undefined : (extras.gate ?? (extras.fetch ? undefined : rateGateFromEnv(env))),
  });
}

/**
 * Each surface's overall deadline per upstream call. A checkout page cannot hold a shopper for half a
 * minute, so the storefront answers within 10 s (then "outcome unknown", and the page settles from a
 * status read); agents and back-office callers can wait for 30 s.
 */
export const DEFAULT_DEADLINES_MS: Record<Surface, number> = {
  storefront: 10_000,
  agents: 30_000,
  webhooks: 30_000,
  admin: 30_000,
};

/** The deadline and per-attempt timeout for a surface, from `*_UPSTREAM_DEADLINE_MS` vars when set. */
export function upstreamTiming(env: Env, surface: Surface): { deadlineMs: number; attemptTimeoutMs: number } {
  const named =
    surface === 'storefront'
      ? env.STOREFRONT_UPSTREAM_DEADLINE_MS
      : surface === 'agents'
        ? env.AGENT_UPSTREAM_DEADLINE_MS
        : undefined;
  const deadlineMs =
    positiveInt(named) ?? positiveInt(env.UPSTREAM_DEADLINE_MS) ?? DEFAULT_DEADLINES_MS[surface];
  // One slow attempt must leave room for at least one more inside the deadline.
  const attemptTimeoutMs = Math.min(
    positiveInt(env.UPSTREAM_ATTEMPT_TIMEOUT_MS) ?? DEFAULT_TIMEOUT_MS,
    Math.max(1, Math.floor(deadlineMs / 2)),
  );
  return { deadlineMs, attemptTimeoutMs };
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The KV-cached OAuth token source for the surface, when OAuth is configured and not injected. */
function defaultTokens(env: Env, surface: Surface, extras: ClientExtras): TokenSource | undefined {
  if (env.CHECKOUT_AUTH !== 'oauth' || !env.CHECKOUT_OAUTH_CLIENT_ID || !env.CHECKOUT_OAUTH_CLIENT_SECRET) {
    return undefined;
  }
  return oauthTokenSourceFromEnv(env, entriesForSurface(surface), {
    ...(extras.waitUntil ? { waitUntil: extras.waitUntil } : {}),
    ...(extras.oauthScopes ? { scopes: extras.oauthScopes } : {}),
  });
}

function credentialFor(env: Env, surface: Surface, tokens: TokenSource | undefined): Credential {
  const mode = env.CHECKOUT_AUTH || 'secret_key';
  if (mode === 'oauth') {
    if (!tokens) {
      throw new CheckoutConfigError(
        'oauth_token_source_missing',
        'CHECKOUT_AUTH is "oauth" but no token source could be built: set CHECKOUT_OAUTH_CLIENT_ID and CHECKOUT_OAUTH_CLIENT_SECRET',
      );
    }
    return { kind: 'oauth', tokens };
  }
  if (mode !== 'secret_key') {
    throw new CheckoutConfigError('auth_mode_invalid', 'CHECKOUT_AUTH must be "secret_key" or "oauth"');
  }
  const secretKey =
    (surface === 'storefront' ? env.CHECKOUT_STOREFRONT_SECRET_KEY : undefined) || env.CHECKOUT_SECRET_KEY;
  if (!secretKey) {
    throw new CheckoutConfigError(
      'secret_key_missing',
      'CHECKOUT_SECRET_KEY is not set (wrangler secret put)',
    );
  }
  return { kind: 'secret_key', secretKey };
}
