import type { CatalogEntry } from '../catalog';
import type { Surface } from '../checkout/from-env';
import { upstreamTiming } from '../checkout/from-env';
import { type UpstreamWindow, upstreamStats } from '../checkout/upstream-stats';
import { withTimeout } from '../http/timeout';
import { entriesForSurface, type OAuthSurface, tokenCacheKey, tokenScopes } from '../oauth';
import { GOVERNOR_NAME, rateGateFromEnv } from '../ratelimit/from-env';
import type { GovernorSnapshot } from '../ratelimit/governor-do';
import { CATALOGUE } from '../webhooks/inbox-do';

/** How long the status page waits on each object it asks (it must answer even when one is stuck). */
const PROBE_TIMEOUT_MS = 2_000;

const SURFACES: readonly Surface[] = ['storefront', 'webhooks', 'agents', 'admin'];

export interface OAuthTokenState {
  scopes: string[];
  has_token: boolean;
  expires_at: string | null;
  refresh_at: string | null;
  consecutive_failures: number;
  last_failure: string | null;
  retry_at: string | null;
  token_requests: number;
}

/** The newest event in the inbox's catalogue and the newest quarantined body. */
export interface WebhookActivity {
  last_received: { id: string; type: string; subject: string; status: string; received_at: string } | null;
  last_quarantined: { id: number; reason: string; deliveries: number; last_received_at: string } | null;
}

/** What an operator needs to see first: never a key, a token or a secret, only their state. */
export interface BollardStatus {
  environment: string;
  auth: {
    mode: 'secret_key' | 'oauth' | 'invalid';
    /** Whether the storefront calls with its own least-privilege key (`CHECKOUT_STOREFRONT_SECRET_KEY`). */
    storefront_key: 'dedicated' | 'shared';
    /** With OAuth: each surface's token, by the scopes it is requested with. */
    oauth_tokens: Partial<Record<OAuthSurface, OAuthTokenState | { error: string }>>;
  };
  surfaces: {
    storefront: { enabled: boolean; order_mode: string; origins: number };
    demo: { enabled: boolean };
    webhooks: { enabled: boolean; signing_keys: number };
    agents: { enabled: boolean };
  };
  upstream: {
    base_url: string;
    deadlines: Record<Surface, { deadline_ms: number; attempt_timeout_ms: number }>;
    /**
     * Answers from Checkout.com seen by the isolate that answered (not shared across isolates): the last
     * five minutes by outcome with the error and throttle rates, and counts since the isolate started.
     */
    this_isolate_calls: UpstreamWindow & { since_start: UpstreamWindow['by_outcome'] };
  };
  /** The newest event in the inbox's catalogue (it trails the acknowledgement by about a second). */
  webhooks: WebhookActivity | { error: string };
  governor: GovernorSnapshot | { error: string };
  /** The isolate that answered: its own share of admissions (isolates do not share these counters). */
  this_isolate_gate: { acquired: number; shed: number; leases: number; expired: number };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function count(list: string | undefined): number {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean).length;
}

async function oauthState(env: Env, surface: OAuthSurface): Promise<OAuthTokenState | { error: string }> {
  const configured = (env as Env & { CHECKOUT_OAUTH_SCOPES?: string }).CHECKOUT_OAUTH_SCOPES;
  const entries: CatalogEntry[] = entriesForSurface(surface);
  const scopes = tokenScopes(entries, configured);
  try {
    const key = await tokenCacheKey(env.CHECKOUT_OAUTH_CLIENT_ID, scopes);
    const s = await withTimeout(
      env.TOKEN_REFRESHER.getByName(key).status(),
      PROBE_TIMEOUT_MS,
      () => new Error('timeout'),
    );
    return {
      scopes,
      has_token: s.hasToken,
      expires_at: iso(s.expiresAt),
      refresh_at: iso(s.refreshAt),
      consecutive_failures: s.consecutiveFailures,
      last_failure: s.lastFailure,
      retry_at: iso(s.retryAt),
      token_requests: s.tokenRequests,
    };
  } catch {
    return { error: 'the token refresher did not answer' };
  }
}

async function lastWebhooks(env: Env): Promise<BollardStatus['webhooks']> {
  const catalogue = env.WEBHOOK_INBOX.getByName(CATALOGUE);
  try {
    const [events, quarantine] = await withTimeout(
      Promise.all([catalogue.list({ limit: 1, skip: 0 }), catalogue.quarantined(1, 0)]),
      PROBE_TIMEOUT_MS,
      () => new Error('timeout'),
    );
    const e = events.data[0];
    const q = quarantine.data[0];
    return {
      last_received: e
        ? { id: e.id, type: e.type, subject: e.subject, status: e.status, received_at: e.received_at }
        : null,
      last_quarantined: q
        ? { id: q.id, reason: q.reason, deliveries: q.deliveries, last_received_at: q.last_received_at }
        : null,
    };
  } catch {
    return { error: 'the webhook catalogue did not answer' };
  }
}

/** Gathers the status; each probe is bounded, and a failed probe is reported, not thrown. */
export async function readStatus(env: Env): Promise<BollardStatus> {
  const mode = env.CHECKOUT_AUTH === 'oauth' ? 'oauth' : env.CHECKOUT_AUTH ? env.CHECKOUT_AUTH : 'secret_key';
  const authMode = mode === 'oauth' || mode === 'secret_key' ? mode : 'invalid';
  const governorProbe = withTimeout(
    env.RATE_GOVERNOR.getByName(GOVERNOR_NAME).snapshot(),
    PROBE_TIMEOUT_MS,
    () => new Error('timeout'),
  ).catch(() => ({ error: 'the rate governor did not answer' }));
  const oauthSurfaces: OAuthSurface[] = authMode === 'oauth' ? ['storefront', 'webhooks', 'agents'] : [];
  const webhooksProbe = lastWebhooks(env);
  const tokenStates = await Promise.all(oauthSurfaces.map((s) => oauthState(env, s)));
  const deadlines = Object.fromEntries(
    SURFACES.map((s) => {
      const t = upstreamTiming(env, s);
      return [s, { deadline_ms: t.deadlineMs, attempt_timeout_ms: t.attemptTimeoutMs }];
    }),
  ) as BollardStatus['upstream']['deadlines'];
  return {
    environment: env.CHECKOUT_ENVIRONMENT,
    auth: {
      mode: authMode,
      storefront_key: env.CHECKOUT_STOREFRONT_SECRET_KEY ? 'dedicated' : 'shared',
      oauth_tokens: Object.fromEntries(oauthSurfaces.map((s, i) => [s, tokenStates[i]])),
    },
    surfaces: {
      storefront: {
        enabled: count(env.STOREFRONT_ORIGINS) > 0,
        order_mode: env.STOREFRONT_ORDER_MODE,
        origins: count(env.STOREFRONT_ORIGINS),
      },
      demo: { enabled: env.DEMO_ENABLED === 'true' },
      webhooks: {
        enabled: count(env.WEBHOOK_SIGNING_KEYS) > 0,
        signing_keys: count(env.WEBHOOK_SIGNING_KEYS),
      },
      agents: { enabled: true },
    },
    upstream: {
      base_url: env.CHECKOUT_API_BASE,
      deadlines,
      this_isolate_calls: { ...upstreamStats.window(), since_start: upstreamStats.sinceStart() },
    },
    webhooks: await webhooksProbe,
    governor: await governorProbe,
    this_isolate_gate: rateGateFromEnv(env).stats(),
  };
}
