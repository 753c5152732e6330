import { env } from 'cloudflare:workers';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';

/** The simulator's service binding (present in the test pool only). */
export function simFetcher(): Fetcher {
  const sim = env.CHECKOUT_SIM;
  if (!sim) throw new Error('CHECKOUT_SIM binding missing');
  return sim;
}

export const SIM_BASE = 'http://checkout-sim.test';

const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` };

export interface SimStats {
  requests: { total: number; read: number; write: number; by_route: Record<string, number> };
  responses_429: number;
  responses_by_status?: Record<string, number>;
  rate_limited: number;
  tokens_issued: number;
}

export async function simStats(): Promise<SimStats> {
  const res = await simFetcher().fetch(`${SIM_BASE}/_sim/stats`, { headers: ADMIN });
  if (!res.ok) throw new Error(`/_sim/stats answered ${res.status}`);
  return (await res.json()) as SimStats;
}

/** Requests that reached `POST /connect/token`, whatever the answer. */
export function tokenEndpointHits(stats: SimStats): number {
  return stats.requests.by_route['POST /connect/token'] ?? 0;
}

export async function simConfig(body: Record<string, unknown>): Promise<void> {
  const res = await simFetcher().fetch(`${SIM_BASE}/_sim/config`, {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`/_sim/config answered ${res.status}: ${await res.text()}`);
}

export async function simReset(): Promise<void> {
  const res = await simFetcher().fetch(`${SIM_BASE}/_sim/reset`, { method: 'POST', headers: ADMIN });
  if (!res.ok) throw new Error(`/_sim/reset answered ${res.status}`);
}
