import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import simulator from '../../workers/checkout-sim/index';

export const SIM = 'http://sim.test';
export const SK = DEV_CREDENTIALS.secretKey;
export const STOREFRONT_SK = DEV_CREDENTIALS.storefrontSecretKey;
export const PK = DEV_CREDENTIALS.publicKey;
export const ADMIN = DEV_CREDENTIALS.simAdminKey;

export type Json = Record<string, unknown>;

/**
 * Calls the simulator Worker's own `fetch` export (the test project's main worker) in this isolate. Not
 * `exports.default.fetch`: the pool adds a proxy to a chain on every call through it, so each call costs
 * more than the last, and the files of this project share one runtime. A cut connection still rejects:
 * the entry throws `ConnectionDropped` (no `request.cf`), as it does through a service binding.
 */
export async function simFetch(request: Request): Promise<Response> {
  // The entry is typed for requests from the edge; `cf` is absent here, as through a service binding.
  const incoming = request as Request<unknown, IncomingRequestCfProperties>;
  return simulator.fetch(incoming, env, createExecutionContext());
}

/** Calls the simulator Worker (the test project's main worker). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return simFetch(new Request(`${SIM}${path}`, { redirect: 'manual', ...init }));
}

/** A JSON request with `Authorization: Bearer <credential>`. */
export function api(
  method: string,
  path: string,
  credential: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (credential !== null) h.Authorization = `Bearer ${credential}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  return call(path, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

export async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

export function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return api(method, path, ADMIN, body);
}

export async function resetSim(): Promise<void> {
  const res = await admin('POST', '/_sim/reset');
  if (res.status !== 200) throw new Error(`reset failed: ${res.status}`);
}

export async function stats(): Promise<Json> {
  return json(await admin('GET', '/_sim/stats'));
}

export const CARD = {
  type: 'card',
  number: '4242424242424242',
  expiry_month: 12,
  expiry_year: 2030,
  cvv: '100',
};
export const DECLINE_CARD = { ...CARD, number: '4544249167673670' };

/** Tokenizes a card with the public key; returns the `tok_...`. */
export async function tokenize(card: Json = CARD): Promise<string> {
  const res = await api('POST', '/tokens', PK, card);
  if (res.status !== 201) throw new Error(`tokenize failed: ${res.status}`);
  return (await json(res)).token as string;
}

/** Pays with a fresh token; returns the 201/202 body. */
export async function pay(extra: Json = {}, card: Json = CARD): Promise<Json> {
  const token = await tokenize(card);
  const res = await api('POST', '/payments', SK, {
    source: { type: 'token', token },
    amount: 1000,
    currency: 'GBP',
    ...extra,
  });
  if (res.status !== 201 && res.status !== 202) throw new Error(`payment failed: ${res.status}`);
  return json(res);
}

/** The event types recorded for a subject, oldest first (through the events module's API). */
export async function eventTypes(subjectId: string): Promise<string[]> {
  const body = await json(await api('GET', `/workflows/events/subject/${subjectId}`, SK));
  return (body.data as { type: string }[]).map((e) => e.type);
}
