import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { WebhookInbox } from '../../src/webhooks/inbox-do';
import type { RecordResult } from '../../src/webhooks/inbox-types';
import { inboxShardCount, inboxShardName } from '../../src/webhooks/shard';
import { subjectInbox } from '../../src/webhooks/stubs';
import { recordEvent } from '../../src/webhooks/subject-store';
import { workerFetch } from '../support/worker-fetch';

/** The dev signing key Bollard is configured with in the tests (.dev.vars). */
export const KEY = 'whsec_dev_bollard_local_signing_key';
export const ADMIN = { authorization: 'Bearer bollard_admin_dev' };
export const URL_ = 'http://bollard.test/webhooks/checkout';

const enc = new TextEncoder();

/** Lowercase hex HMAC-SHA256, computed here independently of Bollard's own signer. */
export async function sign(body: string | Uint8Array, key = KEY): Promise<string> {
  const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', k, typeof body === 'string' ? enc.encode(body) : body);
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Delivers a body through the whole Bollard worker, signed with `key` unless a signature is given. */
export async function deliver(
  body: string | Uint8Array,
  options: {
    key?: string;
    signature?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const signature =
    options.signature === undefined ? await sign(body, options.key ?? KEY) : options.signature;
  if (signature !== null) headers['cko-signature'] = signature;
  const init = { method: 'POST', headers, body };
  return workerFetch(URL_, init);
}

export async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return workerFetch(`http://bollard.test${path}`, {
    ...init,
    headers: { ...ADMIN, ...(init.headers as Record<string, string> | undefined) },
  });
}

export async function adminJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await admin(path, init);
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

let counter = 0;
/** A unique id in Checkout.com's shape: prefix + 26 lowercase base32 characters. */
export function newId(prefix: string): string {
  counter++;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let s = '';
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  for (const b of bytes) s += alphabet[b & 31];
  return `${prefix}_${s}${counter.toString(32).padStart(6, 'a')}`.slice(0, prefix.length + 27);
}

export interface TestEvent {
  id: string;
  type: string;
  created_on: string;
  data: Record<string, unknown>;
  _links?: Record<string, unknown>;
}

export function envelope(
  type: string,
  data: Record<string, unknown>,
  createdOn: string,
  id = newId('evt'),
): TestEvent {
  const subject = typeof data.id === 'string' ? data.id : id;
  return {
    id,
    type,
    created_on: createdOn,
    data,
    _links: {
      self: { href: `https://api.sandbox.checkout.com/workflows/events/${id}` },
      subject: { href: `https://api.sandbox.checkout.com/workflows/events/subject/${subject}` },
    },
  };
}

export const body = (e: TestEvent): string => JSON.stringify(e);

/**
 * Records `e` in a shard's storage as the receiver's `record` call would (inside `runInDurableObject`,
 * after the shard's migration ran), about payment `subject`, with `handlerNames` to run.
 */
export function recordPaymentEvent(
  sql: SqlStorage,
  subject: string,
  e: TestEvent,
  handlerNames: readonly string[] = [],
): RecordResult {
  return recordEvent(
    sql,
    {
      id: e.id,
      type: e.type,
      created_on: e.created_on,
      subject,
      subject_kind: 'payment',
      known: true,
      body: body(e),
      data: JSON.stringify(e.data),
      request_id: 'req_test',
    },
    handlerNames,
    Date.now(),
  );
}

/**
 * Runs every due alarm of the shards holding the given subjects until none is left (alarms reschedule
 * themselves); each shard once, however many of the subjects share it.
 */
export async function drain(subjects: Iterable<string>): Promise<void> {
  const shards = new Map<string, string>();
  for (const s of subjects) shards.set(inboxShardName(s, inboxShardCount(env)), s);
  for (const s of shards.values()) {
    const stub = subjectInbox(env, s);
    for (let i = 0; i < 50; i++) {
      // A shard holding events always has an alarm: retention's next expiry, days away. Run what is due
      // within a handler's longest backoff (1 h + jitter), not that one, or this would spin 50 times.
      const at = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
      if (at !== null && at > Date.now() + 2 * 60 * 60 * 1000) break;
      if (!(await runDurableObjectAlarm(stub))) break;
    }
  }
}

/** Fisher–Yates with a seeded generator, so a failure can be reproduced. */
export function shuffle<T>(items: T[], seed: number): T[] {
  let x = seed || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Runs the alarm of the shard holding `subject` now, or joins the one the runtime is running: the two
 * share one drain (`WebhookInbox.alarm`), and this returns once the due handler runs are done, the
 * catalogue has the shard's rows and the next alarm is set. Unlike `runDurableObjectAlarm`, which skips a
 * shard whose scheduled alarm has already started, it never leaves a test to poll for that alarm's work.
 */
export async function alarmNow(subject: string): Promise<void> {
  await runInDurableObject(subjectInbox(env, subject), (instance: WebhookInbox) => instance.alarm());
}

/**
 * Runs the alarms of the shards holding the given subjects (each shard once a round, however many of the
 * subjects share it) until the catalogue lists `expected` events with none pending or retrying.
 */
export async function settle(subjects: Iterable<string>, expected: number): Promise<void> {
  const shards = new Map<string, string>();
  for (const s of subjects) shards.set(inboxShardName(s, inboxShardCount(env)), s);
  for (let round = 0; round < 10; round++) {
    await Promise.all([...shards.values()].map(alarmNow));
    const all = await adminJson<{ total_count: number }>('/admin/events?limit=1');
    const pending = await adminJson<{ total_count: number }>('/admin/events?limit=1&status=pending');
    const retrying = await adminJson<{ total_count: number }>('/admin/events?limit=1&status=retrying');
    if (all.total_count >= expected && pending.total_count === 0 && retrying.total_count === 0) return;
  }
  throw new Error(`inbox did not settle at ${expected} events`);
}

/** Every page of a list endpoint. */
export async function listAll<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for (let skip = 0; ; skip += 250) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await adminJson<{ total_count: number; data: T[] }>(`${path}${sep}limit=250&skip=${skip}`);
    out.push(...page.data);
    if (skip + 250 >= page.total_count) return out;
  }
}
