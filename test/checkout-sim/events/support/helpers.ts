import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import { EVENTS } from '../../../../src/catalog';
import { DEV_CREDENTIALS } from '../../../../src/dev/credentials';
import { simFetch } from '../../helpers';

export const SECRET_KEY = DEV_CREDENTIALS.secretKey;
export const ADMIN_KEY = DEV_CREDENTIALS.simAdminKey;
export const ORIGIN = 'http://sim.test';

/** Calls the whole simulator Worker, as a client would. */
export function call(
  method: string,
  path: string,
  body?: unknown,
  key: string = SECRET_KEY,
): Promise<Response> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${key}` } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  return simFetch(new Request(`${ORIGIN}${path}`, init));
}

export const admin = (method: string, path: string, body?: unknown) => call(method, path, body, ADMIN_KEY);

export async function json<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** A request the webhook sink received (see support/webhook-sink.ts). */
export interface Received {
  url: string;
  headers: Record<string, string>;
  body_base64: string;
  status: number;
}

const sink = (env as unknown as { WEBHOOK_SINK: Fetcher }).WEBHOOK_SINK;

/** A fresh URL path prefix on the sink, so tests never see each other's deliveries. */
export function sinkBase(): { url: (path?: string) => string; prefix: string } {
  const prefix = `/t-${crypto.randomUUID()}`;
  return { prefix, url: (path = '') => `https://hooks.example${prefix}${path}` };
}

export async function received(prefix: string): Promise<Received[]> {
  const res = await sink.fetch(`http://sink.control/log?prefix=${encodeURIComponent(prefix)}`);
  return ((await res.json()) as { requests: Received[] }).requests;
}

export function bytesOf(r: Received): Uint8Array {
  const bin = atob(r.body_base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The guide's ten events, grouped as a workflow's event condition lists them. */
export const ALL_EVENTS = {
  gateway: EVENTS.filter((e) => e.subject === 'payment').map((e) => e.type),
  dispute: EVENTS.filter((e) => e.subject === 'dispute').map((e) => e.type),
};

export async function createWorkflow(opts: {
  url: string;
  key?: string;
  events?: Record<string, string[]>;
  headers?: Record<string, string>;
  active?: boolean;
}): Promise<string> {
  const res = await call('POST', '/workflows', {
    name: 'test workflow',
    active: opts.active ?? true,
    conditions: [{ type: 'event', events: opts.events ?? ALL_EVENTS }],
    actions: [
      {
        type: 'webhook',
        url: opts.url,
        ...(opts.headers ? { headers: opts.headers } : {}),
        signature: { method: 'HMACSHA256', key: opts.key ?? 'test-signing-key' },
      },
    ],
  });
  return (await json<{ id: string }>(res, 201)).id;
}

/** A captured (or, with `capture: false`, authorized) payment with the approving test card. */
export async function payment(
  opts: { amount?: number; capture?: boolean; reference?: string } = {},
): Promise<string> {
  const res = await call('POST', '/payments', {
    amount: opts.amount ?? 5000,
    currency: 'GBP',
    capture: opts.capture ?? true,
    ...(opts.reference ? { reference: opts.reference } : {}),
    source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2035, cvv: '100' },
  });
  return (await json<{ id: string }>(res, 201)).id;
}

export interface Delivery {
  id: number;
  event_id: string;
  event_type: string;
  workflow_id: string;
  kind: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  history: {
    attempt: number;
    at: string;
    status_code?: number;
    error?: string;
    retry_in_ms?: number;
    scaled_retry_in_ms?: number;
  }[];
}

export async function deliveries(query = ''): Promise<Delivery[]> {
  const res = await admin('GET', `/_sim/webhooks?limit=1000${query}`);
  return (await json<{ data: Delivery[] }>(res, 200)).data;
}

const stub = () => env.SIM_ACCOUNT.getByName('default');

/** Runs the simulator object's alarm now, if one is set (what the runtime does when it is due). */
export async function runAlarm(): Promise<boolean> {
  return runDurableObjectAlarm(stub());
}

/**
 * Runs the simulator's alarm until no delivery is left pending or in flight (held ones wait for the
 * out-of-order fault). Alarms also fire on their own under a compressed time scale; forcing them with
 * `runDurableObjectAlarm` just makes the wait short and bounded.
 */
export function settle(timeoutMs = 20_000): Promise<Delivery[]> {
  return vi.waitFor(
    async () => {
      await runDurableObjectAlarm(stub());
      const all = await deliveries();
      const open = all.filter((d) => d.status === 'pending' || d.status === 'in_flight');
      if (open.length > 0) throw new Error(`deliveries did not settle: ${open.length} still open`);
      return all;
    },
    // A delivery an alarm that fired on its own has in flight cannot be joined: poll for its end.
    { timeout: timeoutMs, interval: 10 },
  );
}

/** Runs alarms (and waits a little) until `done()` holds: for states short of "settled". */
export function waitUntil(done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  return vi.waitFor(
    async () => {
      if (await done()) return;
      await runDurableObjectAlarm(stub());
      throw new Error('condition not reached');
    },
    { timeout: timeoutMs, interval: 10 },
  );
}

/** Compresses the retry schedule so its 30 hours take about 10 ms. */
export async function compressTime(scale = 10_000_000): Promise<void> {
  const res = await admin('POST', '/_sim/config', { time_scale: scale });
  expect(res.status, await res.text()).toBe(200);
}

/** HMAC-SHA256 hex computed here with Web Crypto, independently of the simulator's signing code. */
export async function hmacHex(key: string, bytes: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}
