import type { Context } from 'hono';
import { Hono } from 'hono';
import { webhookStats } from '../events/deliveries-log';
import type { JsonObject } from '../lib/body';
import { isObject, jsonBody } from '../lib/body';
import type { KeyConfig, OAuthClientConfig, SimConfig } from '../lib/config';
import { defaultConfig, getConfig, saveConfig } from '../lib/config';
import type { SimHonoEnv } from '../lib/context';
import { invalid } from '../lib/errors';
import type { FaultsConfig } from '../lib/faults';
import { getFaults, restartFaults, ruleCodes, saveFaults, withSeeds } from '../lib/faults';
import { resetSimulator } from '../lib/reset';
import { statsBody } from '../lib/stats';

/**
 * The control plane, behind `Authorization: Bearer <SIM_ADMIN_KEY>` (checked in `app.ts` for every
 * `/_sim/*` path, including the events module's).
 */
export const controlRoutes = new Hono<SimHonoEnv>();

controlRoutes.get('/_sim/stats', (c) => {
  const sql = c.var.sim.sql;
  return c.json({ ...statsBody(sql), webhooks: webhookStats(sql) });
});

controlRoutes.post('/_sim/reset', async (c) => {
  await resetSimulator(c.var.sim, c.var.runtime);
  return c.json({ reset: true });
});

/** Keys are shown by prefix only: the control plane never echoes a credential. */
function mask(value: string): string {
  return value.length <= 12 ? `${value.slice(0, 3)}…` : `${value.slice(0, 8)}…${value.slice(-2)}`;
}

function configView(config: SimConfig): JsonObject {
  return {
    ...config,
    keys: Object.entries(config.keys).map(([key, k]) => ({ key: mask(key), kind: k.kind, scopes: k.scopes })),
    oauth_clients: Object.entries(config.oauth_clients).map(([id, client]) => ({
      client_id: id,
      scopes: client.scopes,
    })),
  };
}

controlRoutes.get('/_sim/config', (c) => c.json(configView(getConfig(c.var.sim.sql, c.var.sim.env))));

const positiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const scopeList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0);

function applyConfig(config: SimConfig, body: JsonObject): string[] {
  const codes: string[] = [];
  for (const field of ['reads_per_second', 'writes_per_second', 'token_ttl_seconds'] as const) {
    if (body[field] === undefined) continue;
    if (positiveInt(body[field])) config[field] = body[field] as number;
    else codes.push(`${field}_invalid`);
  }
  if (body.time_scale !== undefined) {
    if (typeof body.time_scale === 'number' && body.time_scale > 0) config.time_scale = body.time_scale;
    else codes.push('time_scale_invalid');
  }
  if (body.clock_offset_ms !== undefined) {
    if (Number.isSafeInteger(body.clock_offset_ms)) config.clock_offset_ms = body.clock_offset_ms as number;
    else codes.push('clock_offset_ms_invalid');
  }
  if (body.advance_clock_ms !== undefined) {
    if (Number.isSafeInteger(body.advance_clock_ms) && (body.advance_clock_ms as number) >= 0) {
      config.clock_offset_ms += body.advance_clock_ms as number;
    } else codes.push('advance_clock_ms_invalid');
  }
  if (body.retry_after_seconds !== undefined) {
    if (body.retry_after_seconds === null || Number.isSafeInteger(body.retry_after_seconds)) {
      config.retry_after_seconds = body.retry_after_seconds as number | null;
    } else codes.push('retry_after_seconds_invalid');
  }
  if (body.require_processing_channel_id !== undefined) {
    if (typeof body.require_processing_channel_id === 'boolean') {
      config.require_processing_channel_id = body.require_processing_channel_id;
    } else codes.push('require_processing_channel_id_invalid');
  }
  if (body.environment !== undefined) {
    if (body.environment === 'sandbox' || body.environment === 'production') {
      config.environment = body.environment;
    } else codes.push('environment_invalid');
  }
  if (body.keys !== undefined) {
    if (!isObject(body.keys)) codes.push('keys_invalid');
    else {
      for (const [key, value] of Object.entries(body.keys)) {
        if (value === null) {
          delete config.keys[key];
          continue;
        }
        const k = value as Partial<KeyConfig>;
        if (!isObject(value) || (k.kind !== 'secret' && k.kind !== 'public') || !scopeList(k.scopes ?? [])) {
          codes.push('keys_invalid');
          continue;
        }
        config.keys[key] = { kind: k.kind, scopes: [...(k.scopes ?? [])] };
      }
    }
  }
  if (body.oauth_clients !== undefined) {
    if (!isObject(body.oauth_clients)) codes.push('oauth_clients_invalid');
    else {
      for (const [id, value] of Object.entries(body.oauth_clients)) {
        if (value === null) {
          delete config.oauth_clients[id];
          continue;
        }
        const client = value as Partial<OAuthClientConfig>;
        if (!isObject(value) || typeof client.secret !== 'string' || !scopeList(client.scopes)) {
          codes.push('oauth_clients_invalid');
          continue;
        }
        config.oauth_clients[id] = { secret: client.secret, scopes: [...client.scopes] };
      }
    }
  }
  return codes;
}

controlRoutes.post('/_sim/config', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const next = structuredClone(getConfig(sim.sql, sim.env));
  const codes = applyConfig(next, body);
  if (codes.length > 0) return invalid(c, ...new Set(codes));
  saveConfig(sim.sql, next);
  return c.json(configView(next));
});

/** Back to the defaults a fresh simulator starts with (keeping its data: payments, tokens, events). */
controlRoutes.delete('/_sim/config', (c) => {
  saveConfig(c.var.sim.sql, defaultConfig(c.var.sim.env));
  return c.body(null, 204);
});

controlRoutes.get('/_sim/faults', (c) => c.json(getFaults(c.var.sim.sql)));

async function setFaults(c: Context<SimHonoEnv>): Promise<Response> {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const { routes, webhooks } = body;
  const codes = ruleCodes(body, '', ['routes', 'webhooks']);
  if (routes !== undefined) {
    if (!isObject(routes)) codes.push('routes_invalid');
    else for (const [key, rule] of Object.entries(routes)) codes.push(...ruleCodes(rule, `routes.${key}.`));
  }
  if (webhooks !== undefined && !isObject(webhooks)) codes.push('webhooks_invalid');
  if (codes.length > 0) return invalid(c, ...codes);
  const faults = withSeeds(body as FaultsConfig);
  saveFaults(c.var.sim.sql, faults);
  restartFaults(c.var.runtime);
  return c.json(faults);
}

controlRoutes.post('/_sim/faults', setFaults);
controlRoutes.put('/_sim/faults', setFaults);
controlRoutes.delete('/_sim/faults', (c) => {
  saveFaults(c.var.sim.sql, {});
  restartFaults(c.var.runtime);
  return c.body(null, 204);
});
