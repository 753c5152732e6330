import { createCheckoutClient } from './client';
import type { CheckoutClient, Credential, RateGate, TokenSource } from './contract';
import { CheckoutConfigError } from './errors';
import { upstreamFetch } from './upstream';

/** Which Bollard surface is calling; the storefront gets its own least-privilege key when one is set. */
export type Surface = 'storefront' | 'webhooks' | 'agents' | 'admin';

export interface ClientExtras {
  gate?: RateGate;
  /** Required when `CHECKOUT_AUTH` is `oauth` (the KV-cached source of `src/oauth/`). */
  tokens?: TokenSource;
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
  return createCheckoutClient({
    baseUrl: env.CHECKOUT_API_BASE,
    credential: credentialFor(env, surface, extras.tokens),
    publicKey: env.CHECKOUT_PUBLIC_KEY || undefined,
    fetch: extras.fetch ?? upstreamFetch(env),
    gate: extras.gate,
  });
}

function credentialFor(env: Env, surface: Surface, tokens: TokenSource | undefined): Credential {
  const mode = env.CHECKOUT_AUTH || 'secret_key';
  if (mode === 'oauth') {
    if (!tokens) {
      throw new CheckoutConfigError(
        'oauth_token_source_missing',
        'CHECKOUT_AUTH is "oauth" but no OAuth token source is wired for this surface',
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
