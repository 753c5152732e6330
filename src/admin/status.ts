import { type ArchiveStatus, archiveStatus } from '../agents/proof/archive-status';
import type { CatalogEntry } from '../catalog';
import type { Surface } from '../checkout/from-env';
import { upstreamTiming } from '../checkout/from-env';
import { withTimeout } from '../http/timeout';
import { type UpstreamWindow, upstreamStats } from '../http/upstream-stats';
import { entriesForSurface, type OAuthSurface, refresherFor, tokenCacheKey, tokenScopes } from '../oauth';
import { rateGateFromEnv } from '../ratelimit/from-env';
import type { GovernorSnapshot } from '../ratelimit/governor-do';
import type { GateStats } from '../ratelimit/rate-gate';
import { accountGovernor } from '../ratelimit/stubs';
import { describeRetention, retentionFromEnv } from '../webhooks/retention-settings';
import { inboxShardCount } from '../webhooks/shard';
import { inboxCatalogue, inboxShardAt } from '../webhooks/stubs';

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
 * trips (sample, time out) and never throw for a missing object. The agents' objects report here
 * (`agentStorage` in src/agents, registered by the operator module).
 *
 * @example
 * registerStorageProbe('agents', async (env) => ({
 *   directory: { bytes: await agentDirectory(env).databaseSize() },
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
    sized(inboxCatalogue(env).databaseSize(), 'the catalogue'),
    ...sample.map((i) => sized(inboxShardAt(env, i).databaseSize(), `shard ${i}`)),
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
    const key = await tokenCacheKey(
      env.CHECKOUT_OAUTH_CLIENT_ID,
      tokenScopes(entriesForSurface(surface), env.CHECKOUT_OAUTH_SCOPES),
    );
    return sized(refresherFor(env, key).databaseSize(), 'the token refresher');
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
    sized(accountGovernor(env).databaseSize(), 'the rate governor'),
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
  /** Wrong admin tokens: the per-source limit and this isolate's counts (null: not served by src/operator). */
  admin_credentials: AdminCredentialStatus | null;
  /** The audit archive in R2: each chain's last archived head and its lag (docs/agents.md). */
  audit_archive: ArchiveStatus;
}

/** The per-source limit on wrong admin tokens and what the isolate that answered counted (src/operator/auth). */
export interface AdminCredentialStatus {
  /** `ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE`: wrong tokens per source and minute before 429 (0: no limit). */
  failure_limit_per_minute: number;
  /** Since the isolate started (isolates do not share these counters). */
  this_isolate: {
    /** Wrong admin tokens, as a bearer token or at sign-in. */
    failures: number;
    /** Attempts answered 429 because their source was past its limit (their token never compared). */
    refused: number;
    /** Times a source reached its limit for a minute. */
    limits_reached: number;
    last_failure_at: string | null;
  };
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
  const entries: CatalogEntry[] = entriesForSurface(surface);
  const scopes = tokenScopes(entries, env.CHECKOUT_OAUTH_SCOPES);
  try {
    const key = await tokenCacheKey(env.CHECKOUT_OAUTH_CLIENT_ID, scopes);
    const s = await withTimeout(
      refresherFor(env, key).status(),
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
  const catalogue = inboxCatalogue(env);
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
  /** Wrong admin tokens, counted where the operator module authenticates (src/operator/auth). */
  adminCredentials?: (env: Env) => AdminCredentialStatus;
}

/** Gathers the status; each probe is bounded, and a failed probe is reported, not thrown. */
export async function readStatus(
  env: Env,
  isolate: IsolateCounters = { upstream: upstreamStats, gate: rateGateFromEnv },
): Promise<BollardStatus> {
  const mode = env.CHECKOUT_AUTH === 'oauth' ? 'oauth' : env.CHECKOUT_AUTH ? env.CHECKOUT_AUTH : 'secret_key';
  const authMode = mode === 'oauth' || mode === 'secret_key' ? mode : 'invalid';
  const governorProbe = withTimeout(
    accountGovernor(env).snapshot(),
    PROBE_TIMEOUT_MS,
    () => new Error('timeout'),
  ).catch(() => ({ error: 'the rate governor did not answer' }));
  const oauthSurfaces: OAuthSurface[] = authMode === 'oauth' ? ['storefront', 'webhooks', 'agents'] : [];
  const storageProbe = readStorage(env, oauthSurfaces);
  const webhooksProbe = lastWebhooks(env);
  const archiveProbe = archiveStatus(env, PROBE_TIMEOUT_MS);
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
    admin_credentials: isolate.adminCredentials?.(env) ?? null,
    audit_archive: await archiveProbe,
  };
}
