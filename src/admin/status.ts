import type { CatalogEntry } from '../catalog';
import type { Surface } from '../checkout/from-env';
import { upstreamTiming } from '../checkout/from-env';
import { type UpstreamWindow, upstreamStats } from '../checkout/upstream-stats';
import { withTimeout } from '../http/timeout';
import { entriesForSurface, type OAuthSurface, tokenCacheKey, tokenScopes } from '../oauth';
import { GOVERNOR_NAME, rateGateFromEnv } from '../ratelimit/from-env';
import type { GovernorSnapshot } from '../ratelimit/governor-do';
import type { GateStats } from '../ratelimit/rate-gate';
import { CATALOGUE } from '../webhooks/inbox-do';
import { describeRetention, retentionFromEnv } from '../webhooks/retention-settings';
import { inboxShardCount } from '../webhooks/shard';

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

/** Shards asked for their size at most: more are sampled evenly and the total extrapolated. */
const MAX_SHARD_PROBES = 64;

/** One object's SQLite size (`ctx.storage.sql.databaseSize`), or why it could not be read. */
export interface StorageReading {
  bytes: number | null;
  error?: string;
}

export interface StorageStatus {
  webhooks: {
    /** The effective retention settings (docs/operations.md, "Retention"). */
    retention: Record<string, number>;
    catalogue: StorageReading;
    shards: {
      count: number;
      /** How many shards answered this probe (all of them up to 64, else an even sample). */
      probed: number;
      /** Sum over the shards that answered. */
      bytes: number | null;
      /** `bytes` scaled to every shard when only a sample answered. */
      estimated_total_bytes: number | null;
      largest_bytes: number | null;
      failed: number;
    };
  };
  governor: StorageReading;
  /** With OAuth: one refresher per surface's scope set. */
  token_refreshers: Partial<Record<OAuthSurface, StorageReading>>;
  /** Sizes other areas report through `registerStorageProbe` (e.g. the agents' objects). */
  [area: string]: unknown;
}

/**
 * A size probe another area adds to `GET /admin/status` → `storage.<name>`: it must bound its own round
 * trips (sample, time out) and never throw for a missing object. The agent objects are to report here:
 *
 * @example
 * registerStorageProbe('agents', async (env) => ({
 *   registry: { bytes: await env.AGENT_REGISTRY.getByName('global').databaseSize() },
 * }));
 */
export type StorageProbe = (env: Env) => Promise<Record<string, StorageReading | number | string>>;

const storageProbes = new Map<string, StorageProbe>();

export function registerStorageProbe(name: string, probe: StorageProbe): void {
  storageProbes.set(name, probe);
}

async function sized(probe: Promise<number>, what: string): Promise<StorageReading> {
  try {
    return { bytes: await withTimeout(probe, PROBE_TIMEOUT_MS, () => new Error('timeout')) };
  } catch {
    return { bytes: null, error: `${what} did not answer` };
  }
}

/** The shards to ask: all of them, or MAX_SHARD_PROBES spread evenly over the range. */
export function shardSample(count: number, max: number = MAX_SHARD_PROBES): number[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * count) / max));
}

async function webhookStorage(env: Env): Promise<StorageStatus['webhooks']> {
  const count = inboxShardCount(env);
  const sample = shardSample(count);
  const [catalogue, ...shards] = await Promise.all([
    sized(env.WEBHOOK_INBOX.getByName(CATALOGUE).databaseSize(), 'the catalogue'),
    ...sample.map((i) => sized(env.WEBHOOK_INBOX.getByName(`shard:${i}`).databaseSize(), `shard ${i}`)),
  ]);
  const answered = shards.flatMap((r) => (r.bytes === null ? [] : [r.bytes]));
  const sum = answered.reduce((a, b) => a + b, 0);
  return {
    retention: describeRetention(retentionFromEnv(env)),
    catalogue: catalogue ?? { bytes: null },
    shards: {
      count,
      probed: answered.length,
      bytes: answered.length ? sum : null,
      estimated_total_bytes: answered.length ? Math.round((sum * count) / answered.length) : null,
      largest_bytes: answered.length ? Math.max(...answered) : null,
      failed: shards.length - answered.length,
    },
  };
}

async function readStorage(env: Env, oauthSurfaces: readonly OAuthSurface[]): Promise<StorageStatus> {
  const refresherSize = async (surface: OAuthSurface): Promise<StorageReading> => {
    const configured = (env as Env & { CHECKOUT_OAUTH_SCOPES?: string }).CHECKOUT_OAUTH_SCOPES;
    const key = await tokenCacheKey(
      env.CHECKOUT_OAUTH_CLIENT_ID,
      tokenScopes(entriesForSurface(surface), configured),
    );
    return sized(env.TOKEN_REFRESHER.getByName(key).databaseSize(), 'the token refresher');
  };
  const extra = [...storageProbes.entries()].map(async ([name, probe]) => {
    try {
      return [name, await withTimeout(probe(env), PROBE_TIMEOUT_MS * 2, () => new Error('timeout'))] as const;
    } catch {
      return [name, { error: `${name} storage probe did not answer` }] as const;
    }
  });
  const [webhooks, governor, refreshers, extras] = await Promise.all([
    webhookStorage(env),
    sized(env.RATE_GOVERNOR.getByName(GOVERNOR_NAME).databaseSize(), 'the rate governor'),
    Promise.all(oauthSurfaces.map(refresherSize)),
    Promise.all(extra),
  ]);
  return {
    webhooks,
    governor,
    token_refreshers: Object.fromEntries(oauthSurfaces.map((s, i) => [s, refreshers[i]])),
    // The agents' objects are another area's: they report through registerStorageProbe('agents', …).
    ...(storageProbes.has('agents') ? {} : { agents: { reported: false } }),
    ...Object.fromEntries(extras),
  };
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
  this_isolate_gate: GateStats;
  /** Each object's SQLite size, by bounded probes (a probe that fails reports `bytes: null`). */
  storage: StorageStatus;
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

/**
 * This isolate's in-memory counters. The operator module (src/operator) bundles its own copy of this code,
 * so it passes the main module's instances, which the hot paths feed.
 */
export interface IsolateCounters {
  upstream: Pick<typeof upstreamStats, 'window' | 'sinceStart'>;
  gate: (env: Env) => Pick<ReturnType<typeof rateGateFromEnv>, 'stats'>;
}

/** Gathers the status; each probe is bounded, and a failed probe is reported, not thrown. */
export async function readStatus(
  env: Env,
  isolate: IsolateCounters = { upstream: upstreamStats, gate: rateGateFromEnv },
): Promise<BollardStatus> {
  const mode = env.CHECKOUT_AUTH === 'oauth' ? 'oauth' : env.CHECKOUT_AUTH ? env.CHECKOUT_AUTH : 'secret_key';
  const authMode = mode === 'oauth' || mode === 'secret_key' ? mode : 'invalid';
  const governorProbe = withTimeout(
    env.RATE_GOVERNOR.getByName(GOVERNOR_NAME).snapshot(),
    PROBE_TIMEOUT_MS,
    () => new Error('timeout'),
  ).catch(() => ({ error: 'the rate governor did not answer' }));
  const oauthSurfaces: OAuthSurface[] = authMode === 'oauth' ? ['storefront', 'webhooks', 'agents'] : [];
  const storageProbe = readStorage(env, oauthSurfaces);
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
      this_isolate_calls: { ...isolate.upstream.window(), since_start: isolate.upstream.sinceStart() },
    },
    webhooks: await webhooksProbe,
    governor: await governorProbe,
    this_isolate_gate: isolate.gate(env).stats(),
    storage: await storageProbe,
  };
}
