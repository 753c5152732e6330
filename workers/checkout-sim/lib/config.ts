import { CATALOG, minimalScopes } from '../../../src/catalog';
import { DEV_CREDENTIALS } from '../../../src/dev/credentials';

export type SimEnvironment = 'sandbox' | 'production';

/** What a static API key is and which scopes it carries. */
export interface KeyConfig {
  kind: 'secret' | 'public';
  scopes: string[];
}

/** An OAuth client (access key id → secret and the scopes it may request). */
export interface OAuthClientConfig {
  secret: string;
  scopes: string[];
}

/**
 * The simulator's runtime settings. Defaults come from the Worker's vars and the dev credentials;
 * `POST /_sim/config` overrides them until `POST /_sim/reset`.
 */
export interface SimConfig {
  reads_per_second: number;
  writes_per_second: number;
  token_ttl_seconds: number;
  /** Webhook retry schedule compression (read by the events module). */
  time_scale: number;
  /** Added to the wall clock: lets tests age tokens, links and idempotency keys without waiting. */
  clock_offset_ms: number;
  /**
   * The real API documents no Retry-After on 429 (facts §7), so none is sent by default; a number makes
   * the simulator send one, to test clients that honour it.
   */
  retry_after_seconds: number | null;
  /** NAS requires `processing_channel_id` on payments; off by default so simple clients work. */
  require_processing_channel_id: boolean;
  /**
   * Which Checkout.com environment the simulator stands in for. Only the sandbox-only endpoints read it:
   * in `production`, `POST /workflows/{id}/test` answers 404 as the production API has no such route.
   */
  environment: SimEnvironment;
  keys: Record<string, KeyConfig>;
  oauth_clients: Record<string, OAuthClientConfig>;
}

/** Every scope the catalog names plus the workflows scope (what the full-access dev key carries). */
export const ALL_CATALOG_SCOPES: readonly string[] = minimalScopes(CATALOG);

/** Parent scopes (facts §3): the dev OAuth client may request any of them or their children. */
export const DEV_OAUTH_SCOPES: readonly string[] = [
  'gateway',
  'vault',
  'disputes',
  'fx',
  'flow',
  'payment-sessions',
  'transfers',
  'balances',
];

function num(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** The configuration a fresh (or reset) simulator starts with. */
export function defaultConfig(env: Env): SimConfig {
  return {
    reads_per_second: num(env.SIM_READS_PER_SECOND, 100),
    writes_per_second: num(env.SIM_WRITES_PER_SECOND, 100),
    token_ttl_seconds: num(env.SIM_TOKEN_TTL_SECONDS, 14400),
    time_scale: num(env.SIM_TIME_SCALE, 1),
    clock_offset_ms: 0,
    retry_after_seconds: null,
    require_processing_channel_id: false,
    environment: 'sandbox',
    keys: {
      [DEV_CREDENTIALS.secretKey]: { kind: 'secret', scopes: [...ALL_CATALOG_SCOPES] },
      [DEV_CREDENTIALS.storefrontSecretKey]: {
        kind: 'secret',
        scopes: ['gateway:payment', 'gateway:payment-details'],
      },
      [DEV_CREDENTIALS.publicKey]: { kind: 'public', scopes: [] },
    },
    oauth_clients: {
      [DEV_CREDENTIALS.oauthClientId]: {
        secret: DEV_CREDENTIALS.oauthClientSecret,
        scopes: [...DEV_OAUTH_SCOPES],
      },
    },
  };
}

const CACHE = new WeakMap<SqlStorage, SimConfig>();

/** Creates the key/value table holding config, faults and the JWT secret. */
export function initStateSchema(sql: SqlStorage): void {
  sql.exec('CREATE TABLE IF NOT EXISTS sim_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
}

export function readState(sql: SqlStorage, key: string): string | null {
  const row = sql.exec<{ value: string }>('SELECT value FROM sim_state WHERE key = ?', key).toArray()[0];
  return row ? row.value : null;
}

export function writeState(sql: SqlStorage, key: string, value: string): void {
  sql.exec(
    'INSERT INTO sim_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    key,
    value,
  );
}

/**
 * The current configuration (cached per storage; every write goes through `saveConfig`).
 * Exported for the events module (e.g. `getConfig(sim.sql, sim.env).time_scale`).
 */
export function getConfig(sql: SqlStorage, env: Env): SimConfig {
  const cached = CACHE.get(sql);
  if (cached) return cached;
  const stored = readState(sql, 'config');
  const config = stored ? (JSON.parse(stored) as SimConfig) : defaultConfig(env);
  CACHE.set(sql, config);
  return config;
}

export function saveConfig(sql: SqlStorage, config: SimConfig): void {
  writeState(sql, 'config', JSON.stringify(config));
  CACHE.set(sql, config);
}

/** Forgets the cached configuration (after a reset wiped the table). */
export function forgetConfig(sql: SqlStorage): void {
  CACHE.delete(sql);
}
