import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ADMIN_FAILURE_LIMIT_PER_MINUTE } from '../../src/operator/auth/credential-limit';
import worker from '../../workers/bollard/index';
import { LogCapture } from '../fuzz/support/invariants';

const BASE = 'http://127.0.0.1:8787';
const LIMIT = DEFAULT_ADMIN_FAILURE_LIMIT_PER_MINUTE;
const MINUTE_MS = 60_000;

let sourceCounter = 0;
/** A fresh IPv4 source per test, so the isolate's counts from other tests never meet this one's. */
function freshSource(): string {
  sourceCounter++;
  return `203.0.${100 + Math.floor(sourceCounter / 250)}.${(sourceCounter % 250) + 1}`;
}

/** Through the Worker's own fetch, as deployed (metrics, request ids, the operator module). */
async function call(
  path: string,
  init: RequestInit & { ip?: string } = {},
  overrides: Record<string, string> = {},
): Promise<Response> {
  const { ip, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (ip !== undefined) headers.set('cf-connecting-ip', ip);
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}${path}`, { ...rest, headers }),
    { ...env, ...overrides } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const wrongToken = (i: number) => `guess-${i}-${'x'.repeat(40)}`;

function signIn(token: string, ip: string): Promise<Response> {
  return call('/admin/session', {
    method: 'POST',
    ip,
    headers: { origin: BASE, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
}

async function adminCredentials(): Promise<{
  failure_limit_per_minute: number;
  this_isolate: { failures: number; refused: number; limits_reached: number; last_failure_at: string | null };
}> {
  const res = await call('/admin/status', { headers: bearer(env.ADMIN_TOKEN) });
  return ((await res.json()) as { admin_credentials: never }).admin_credentials;
}

describe('wrong admin tokens, limited per source', () => {
  let log: LogCapture;
  beforeEach(() => {
    // One minute for the whole test (the limit counts per minute): the clock stands a second into one.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime((Math.floor(Date.now() / MINUTE_MS) + 1) * MINUTE_MS + 1_000);
    log = new LogCapture().start();
  });
  afterEach(() => {
    log.stop();
    vi.useRealTimers();
  });

  it('300 wrong bearer tokens on /admin/agents: 401 up to the limit, then 429 with Retry-After; other sources keep working', async () => {
    const ip = freshSource();
    const before = await adminCredentials();
    const answers: Array<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> = [];
    for (let i = 0; i < 300; i++) {
      const res = await call('/admin/agents', { ip, headers: bearer(wrongToken(i)) });
      answers.push({
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json()) as Record<string, unknown>,
      });
    }
    expect(answers.slice(0, LIMIT).every((a) => a.status === 401)).toBe(true);
    expect(answers.slice(LIMIT).every((a) => a.status === 429)).toBe(true);
    for (const a of answers.slice(LIMIT)) {
      // 59 s left in the minute the clock stands in.
      expect(a.retryAfter).toBe('59');
      expect(a.body).toEqual({
        request_id: expect.any(String),
        error_type: 'too_many_requests',
        error_codes: ['admin_credentials_rate_limited'],
        message: expect.any(String),
      });
    }

    // The right token from the limited source is not even compared; from any other source it works.
    expect((await call('/admin/agents', { ip, headers: bearer(env.ADMIN_TOKEN) })).status).toBe(429);
    expect(
      (await call('/admin/agents', { ip: freshSource(), headers: bearer(env.ADMIN_TOKEN) })).status,
    ).toBe(200);
    // Without a token (nothing to guess) the limited source gets the usual 401; a console session works.
    expect((await call('/admin/agents', { ip })).status).toBe(401);
    const signedIn = await signIn(env.ADMIN_TOKEN, freshSource());
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await call('/admin/agents', { ip, headers: { cookie } })).status).toBe(200);

    // Counted where an operator looks: /admin/status, one log line per counted failure, never the token.
    const after = await adminCredentials();
    expect(after.failure_limit_per_minute).toBe(LIMIT);
    expect(after.this_isolate.failures - before.this_isolate.failures).toBe(LIMIT);
    expect(after.this_isolate.refused - before.this_isolate.refused).toBe(300 - LIMIT + 1);
    expect(after.this_isolate.limits_reached - before.this_isolate.limits_reached).toBe(1);
    expect(after.this_isolate.last_failure_at).toBe(new Date(Date.now()).toISOString());
    const lines = log.take();
    const refused = lines.filter((l) => l.includes('"admin credential refused"'));
    expect(refused).toHaveLength(LIMIT);
    for (const line of refused)
      expect(JSON.parse(line)).toMatchObject({ level: 'warn', channel: 'bearer', source: ip });
    expect(lines.filter((l) => l.includes('"admin credential limit reached"'))).toHaveLength(1);
    for (let i = 0; i < 300; i++) expect(lines.join('\n')).not.toContain(wrongToken(i));
  });

  it('300 wrong sign-ins on POST /admin/session: the same limit, shared with bearer tokens', async () => {
    const ip = freshSource();
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const res = await signIn(wrongToken(i), ip);
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('59');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(300 - LIMIT).fill(429));
    // The same source's bearer tokens (on the session probe too, which would otherwise answer 200) wait.
    expect((await call('/admin/session', { ip, headers: bearer(wrongToken(0)) })).status).toBe(429);
    expect((await signIn(env.ADMIN_TOKEN, ip)).status).toBe(429);
    // Elsewhere the right token signs in.
    expect((await signIn(env.ADMIN_TOKEN, freshSource())).status).toBe(200);
    expect(log.take().filter((l) => l.includes('"channel":"sign_in"'))).toHaveLength(LIMIT);
  });

  it('counts an IPv6 source by its /64, and the next minute starts afresh', async () => {
    sourceCounter++;
    const net = `2001:db8:${sourceCounter}:7`;
    for (let i = 0; i < LIMIT; i++)
      expect(
        (await call('/admin/status', { ip: `${net}::${i + 1}`, headers: bearer(wrongToken(i)) })).status,
      ).toBe(401);
    expect((await call('/admin/status', { ip: `${net}:aaaa::99`, headers: bearer('another') })).status).toBe(
      429,
    );
    expect(
      (await call('/admin/status', { ip: `2001:db8:${sourceCounter}:8::1`, headers: bearer('x') })).status,
    ).toBe(401);
    vi.setSystemTime(Date.now() + MINUTE_MS);
    expect((await call('/admin/status', { ip: `${net}::1`, headers: bearer(env.ADMIN_TOKEN) })).status).toBe(
      200,
    );
  });

  it('ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE sets the limit (0: none); without CF-Connecting-IP nothing is limited', async () => {
    const three = { ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE: '3' };
    const ip = freshSource();
    const limited: number[] = [];
    for (let i = 0; i < 5; i++)
      limited.push((await call('/admin/metrics', { ip, headers: bearer(wrongToken(i)) }, three)).status);
    expect(limited).toEqual([401, 401, 401, 429, 429]);

    const off = { ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE: '0' };
    const other = freshSource();
    for (let i = 0; i < LIMIT + 5; i++)
      expect((await call('/admin/metrics', { ip: other, headers: bearer(wrongToken(i)) }, off)).status).toBe(
        401,
      );
    for (let i = 0; i < LIMIT + 5; i++)
      expect((await call('/admin/metrics', { headers: bearer(wrongToken(i)) })).status).toBe(401);
    expect((await call('/admin/metrics', { headers: bearer(env.ADMIN_TOKEN) })).status).toBe(200);
  });
});
