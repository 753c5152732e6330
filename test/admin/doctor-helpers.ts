import { env } from 'cloudflare:workers';
import { createApp } from '../../src/app';
import { EVENTS } from '../../src/catalog';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { SIM_BASE, simFetcher } from '../oauth/sim-control';

export const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` };

/** Values that must never appear in a doctor answer. */
export const SECRETS = [
  DEV_CREDENTIALS.secretKey,
  DEV_CREDENTIALS.storefrontSecretKey,
  DEV_CREDENTIALS.oauthClientSecret,
  DEV_CREDENTIALS.adminToken,
  DEV_CREDENTIALS.webhookSigningKey,
];

export interface Check {
  check: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
  fix: string | null;
}

export interface Report {
  ok: boolean;
  auth_mode: string;
  webhook: { receiver_url: string; workflow_id: string | null };
  checks: Check[];
}

/** A public URL no other test uses, so only this test's workflows deliver there. */
export function uniqueUrl(): string {
  return `https://doctor-${crypto.randomUUID().slice(0, 8)}.bollard.test`;
}

/** `GET /admin/doctor` through `createApp()` with the test env plus `overrides`. */
export async function doctor(url: string, overrides: Record<string, unknown> = {}): Promise<Report> {
  const res = await createApp().request(
    `/admin/doctor?url=${encodeURIComponent(url)}`,
    { headers: ADMIN },
    { ...env, ...overrides },
  );
  if (res.status !== 200) throw new Error(`/admin/doctor answered ${res.status}: ${await res.text()}`);
  const text = await res.text();
  for (const s of SECRETS) if (text.includes(s)) throw new Error('a secret leaked into the doctor answer');
  return JSON.parse(text) as Report;
}

export function checkOf(report: Report, name: string): Check {
  const c = report.checks.find((x) => x.check === name);
  if (!c) throw new Error(`no check ${name} in ${report.checks.map((x) => x.check).join(', ')}`);
  return c;
}

/** Simulator calls with the full-access dev key (or the sim admin key for `/_sim/*`). */
export async function sim(path: string, init: RequestInit = {}, key: string = DEV_CREDENTIALS.secretKey) {
  return simFetcher().fetch(`${SIM_BASE}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });
}

export interface WorkflowOptions {
  events?: readonly string[];
  active?: boolean;
  key?: string;
}

/** Registers a workflow on the simulator delivering to `<url>/webhooks/checkout`. */
export async function registerWorkflow(url: string, o: WorkflowOptions = {}): Promise<string> {
  const events = o.events ?? EVENTS.map((e) => e.type);
  const res = await sim('/workflows', {
    method: 'POST',
    body: JSON.stringify({
      name: 'doctor test',
      active: o.active ?? true,
      conditions: [
        {
          type: 'event',
          events: {
            gateway: events.filter((e) => !e.startsWith('dispute_')),
            dispute: events.filter((e) => e.startsWith('dispute_')),
          },
        },
      ].map((c) => ({
        ...c,
        events: Object.fromEntries(Object.entries(c.events).filter(([, list]) => list.length > 0)),
      })),
      actions: [
        {
          type: 'webhook',
          url: `${url}/webhooks/checkout`,
          signature: { method: 'HMACSHA256', key: o.key ?? DEV_CREDENTIALS.webhookSigningKey },
        },
      ],
    }),
  });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`POST /workflows answered ${res.status}`);
  return body.id;
}

export async function deleteWorkflow(id: string): Promise<void> {
  await sim(`/workflows/${id}`, { method: 'DELETE' });
}

/** Adds a simulator key or OAuth client with the given scopes (`POST /_sim/config`). */
export async function simConfigure(body: Record<string, unknown>): Promise<void> {
  const res = await sim(
    '/_sim/config',
    { method: 'POST', body: JSON.stringify(body) },
    DEV_CREDENTIALS.simAdminKey,
  );
  if (!res.ok) throw new Error(`/_sim/config answered ${res.status}: ${await res.text()}`);
}
