import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAccessCertsFetch } from '../../src/operator/auth/access';
import { SESSION_IDLE_S, SESSION_MAX_S } from '../../src/operator/auth/session';
import {
  ACCESS_ENV,
  ADMIN_TOKEN,
  accessTeam,
  call,
  ISSUER,
  LOOPBACK,
  sessionCookieAt,
  signIn,
} from './helpers';

const json = (body: unknown) => JSON.stringify(body);
const newAgent = () =>
  json({ name: `console test ${crypto.randomUUID().slice(0, 8)}`, grants: { payments: 'read' } });

async function codes(res: Response): Promise<string[]> {
  return ((await res.json()) as { error_codes: string[] }).error_codes;
}

describe('sign-in: the admin token once, for a session cookie', () => {
  it('sets an HttpOnly, SameSite=Strict cookie; Secure with the __Host- prefix over https, not on loopback', async () => {
    const loop = await signIn(LOOPBACK);
    expect(loop.setCookie).toMatch(
      /^bollard_session=[^;]+; Path=\/; Max-Age=1800; HttpOnly; SameSite=Strict$/,
    );
    const https = await signIn('https://bollard.example.com');
    expect(https.setCookie).toMatch(
      /^__Host-bollard_session=[^;]+; Path=\/; Max-Age=1800; HttpOnly; SameSite=Strict; Secure$/,
    );
    // The cookie is a JWT that does not carry the token.
    const payload = JSON.parse(atob((loop.cookie.split('=')[1] ?? '').split('.')[1] ?? ''));
    expect(payload).toMatchObject({ iss: 'bollard', aud: 'bollard-console', sub: 'admin' });
    expect(payload.exp - payload.iat).toBe(SESSION_IDLE_S);
    expect(JSON.stringify(payload)).not.toContain(ADMIN_TOKEN);
    expect(loop.csrf).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('refuses a wrong token, a cross-site or origin-less sign-in, a form post, and plain http off loopback', async () => {
    const post = (origin: string | null, body: string, type = 'application/json', url = LOOPBACK) =>
      call(`${url}/admin/session`, {
        method: 'POST',
        headers: { ...(origin ? { origin } : {}), 'content-type': type },
        body,
      });
    const wrong = await post(LOOPBACK, json({ token: 'not-it' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await codes(await post('https://evil.example', json({ token: ADMIN_TOKEN })))).toEqual([
      'csrf_origin_invalid',
    ]);
    expect((await post(null, json({ token: ADMIN_TOKEN }))).status).toBe(403);
    const form = await post(LOOPBACK, `token=${ADMIN_TOKEN}`, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    const http = await post(
      'http://bollard.test',
      json({ token: ADMIN_TOKEN }),
      'application/json',
      'http://bollard.test',
    );
    expect(await codes(http)).toEqual(['https_required']);
  });

  it('GET /admin/session says who is signed in (200 either way) and sign-out clears the cookie', async () => {
    const none = await call(`${LOOPBACK}/admin/session`);
    expect(none.status).toBe(200);
    expect(await none.json()).toMatchObject({ signed_in: false, reason: 'admin_token_invalid' });
    const { cookie, csrf } = await signIn();
    const res = await call(`${LOOPBACK}/admin/session`, { headers: { cookie } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ signed_in: true, via: 'session', csrf_token: csrf });
    expect(Date.parse(String(body.expires_at))).toBeGreaterThan(Date.now() + 29 * 60_000);
    const out = await call(`${LOOPBACK}/admin/session`, {
      method: 'DELETE',
      headers: { cookie, origin: LOOPBACK },
    });
    expect(out.headers.get('set-cookie')).toMatch(
      /^bollard_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/,
    );
  });
});

describe('the admin API with a session cookie', () => {
  it('reads with the cookie alone', async () => {
    const { cookie } = await signIn();
    const res = await call(`${LOOPBACK}/admin/agents`, { headers: { cookie } });
    expect(res.status).toBe(200);
  });

  it('refuses a missing, expired, forged, tampered or rotated-away session', async () => {
    const get = (cookie: string | null, envOverride = {}) =>
      call(`${LOOPBACK}/admin/agents`, { headers: cookie ? { cookie } : {} }, envOverride);
    expect(await codes(await get(null))).toEqual(['admin_token_invalid']);
    // Idle expiry: signed 31 minutes ago.
    expect(await codes(await get(await sessionCookieAt(Date.now() - (SESSION_IDLE_S + 60) * 1000)))).toEqual([
      'session_expired',
    ]);
    // Forged: signed under another admin token's key.
    expect(
      await codes(await get(await sessionCookieAt(Date.now(), { ADMIN_TOKEN: 'someone-elses-token' }))),
    ).toEqual(['session_invalid']);
    // Tampered: the payload changed after signing.
    const good = await sessionCookieAt(Date.now());
    const [name, jwt] = good.split('=') as [string, string];
    const [header, payload, sig] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(atob(payload));
    claims.exp += 86_400;
    const forged = `${name}=${header}.${btoa(JSON.stringify(claims)).replace(/=+$/, '')}.${sig}`;
    expect(await codes(await get(forged))).toEqual(['session_invalid']);
    // Rotating ADMIN_TOKEN ends every session signed before.
    expect((await get(good)).status).toBe(200);
    expect(await codes(await get(good, { ADMIN_TOKEN: 'rotated-admin-token-value' }))).toEqual([
      'session_invalid',
    ]);
    // So does setting (or rotating) CONSOLE_SESSION_KEY.
    expect(await codes(await get(good, { CONSOLE_SESSION_KEY: 'a-dedicated-session-secret' }))).toEqual([
      'session_invalid',
    ]);
    // A bearer header that is wrong is refused even next to a good cookie: it never falls through.
    const both = await call(`${LOOPBACK}/admin/agents`, {
      headers: { cookie: good, authorization: 'Bearer nope' },
    });
    expect(await codes(both)).toEqual(['admin_token_invalid']);
  });

  it('slides: a session with under 20 minutes left is renewed on the answer, never past 12 hours', async () => {
    const stale = await sessionCookieAt(Date.now() - 15 * 60_000);
    const res = await call(`${LOOPBACK}/admin/agents`, { headers: { cookie: stale } });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(
      /^bollard_session=[^;]+; Path=\/; Max-Age=18\d\d; HttpOnly/,
    );
    const fresh = await sessionCookieAt(Date.now());
    expect(
      (await call(`${LOOPBACK}/admin/agents`, { headers: { cookie: fresh } })).headers.get('set-cookie'),
    ).toBeNull();
    // Past the absolute lifetime the session is over, however recently it was renewed.
    const { mintSession } = await import('../../src/operator/auth/session');
    const old = Date.now() - (SESSION_MAX_S + 60) * 1000;
    const renewedLate = await mintSession(env, Date.now() - 60_000, {
      sid: 'x'.repeat(24),
      exp: 0,
      authTime: Math.floor(old / 1000),
    });
    expect(renewedLate).not.toBeNull();
    const res2 = await call(`${LOOPBACK}/admin/agents`, {
      headers: { cookie: `bollard_session=${renewedLate?.jwt}` },
    });
    expect(await codes(res2)).toEqual(['session_expired']);
  });

  it('writes need the same origin and the CSRF token; a cross-site POST is refused', async () => {
    const { cookie, csrf } = await signIn();
    const post = (headers: Record<string, string>) =>
      call(`${LOOPBACK}/admin/agents`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: newAgent(),
      });
    expect(await codes(await post({ origin: 'https://evil.example', 'x-csrf-token': csrf }))).toEqual([
      'csrf_origin_invalid',
    ]);
    expect(await codes(await post({ 'x-csrf-token': csrf }))).toEqual(['csrf_origin_invalid']);
    expect(
      await codes(await post({ origin: LOOPBACK, 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf })),
    ).toEqual(['csrf_origin_invalid']);
    expect(await codes(await post({ origin: LOOPBACK }))).toEqual(['csrf_token_invalid']);
    expect(await codes(await post({ origin: LOOPBACK, 'x-csrf-token': `${csrf}x` }))).toEqual([
      'csrf_token_invalid',
    ]);
    // A form a cross-site page could submit (no custom header possible) is refused the same way.
    const form = await call(`${LOOPBACK}/admin/agents/agt_x/revoke`, {
      method: 'POST',
      headers: {
        cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect(form.status).toBe(403);
    const ok = await post({ origin: LOOPBACK, 'sec-fetch-site': 'same-origin', 'x-csrf-token': csrf });
    expect(ok.status).toBe(201);
  });

  it('the bearer token still works for curl: no origin, no CSRF token, any scheme case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await call(`${LOOPBACK}/admin/agents`, {
        method: 'POST',
        headers: { authorization: `${scheme} ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: newAgent(),
      });
      expect(res.status).toBe(201);
    }
  });
});

describe('Cloudflare Access instead of a token', () => {
  let team: Awaited<ReturnType<typeof accessTeam>>;
  beforeAll(async () => {
    team = await accessTeam();
    useAccessCertsFetch(team.certsFetch);
  });
  afterAll(() => useAccessCertsFetch(undefined));

  const get = (assertion: string | null, envOverride: Record<string, string> = ACCESS_ENV) =>
    call(
      `${LOOPBACK}/admin/agents`,
      { headers: assertion ? { 'cf-access-jwt-assertion': assertion } : {} },
      envOverride,
    );

  it('accepts a valid assertion (keys from the team certs, fetched once and cached) and says who it is', async () => {
    for (let i = 0; i < 3; i++) expect((await get(await team.sign())).status).toBe(200);
    expect(team.fetched).toEqual([`${ISSUER}/cdn-cgi/access/certs`]);
    const session = await call(
      `${LOOPBACK}/admin/session`,
      { headers: { 'cf-access-jwt-assertion': await team.sign() } },
      ACCESS_ENV,
    );
    expect(await session.json()).toMatchObject({ signed_in: true, via: 'access', email: 'ops@example.com' });
  });

  it('refuses a missing, expired, forged or wrongly issued assertion and the wrong audience', async () => {
    expect(await codes(await get(null))).toEqual(['admin_token_invalid']);
    expect(await codes(await get(await team.sign({}, { exp: Math.floor(Date.now() / 1000) - 120 })))).toEqual(
      ['access_jwt_expired'],
    );
    expect(await codes(await get(await team.sign({}, { key: team.strangerKey })))).toEqual([
      'access_jwt_invalid',
    ]);
    expect(await codes(await get(await team.sign({ aud: 'another-application' })))).toEqual([
      'access_audience_invalid',
    ]);
    expect(await codes(await get(await team.sign({ iss: 'https://evil.cloudflareaccess.com' })))).toEqual([
      'access_jwt_invalid',
    ]);
    expect(await codes(await get('not.a.jwt'))).toEqual(['access_jwt_invalid']);
    // Without Access configured the header means nothing.
    expect(await codes(await get(await team.sign(), {}))).toEqual(['admin_token_invalid']);
  });

  it('writes with Access need the same origin and the CSRF token too', async () => {
    const assertion = await team.sign();
    const session = (await (
      await call(
        `${LOOPBACK}/admin/session`,
        { headers: { 'cf-access-jwt-assertion': assertion } },
        ACCESS_ENV,
      )
    ).json()) as { csrf_token: string };
    const post = (headers: Record<string, string>) =>
      call(
        `${LOOPBACK}/admin/agents`,
        {
          method: 'POST',
          headers: { 'cf-access-jwt-assertion': assertion, 'content-type': 'application/json', ...headers },
          body: newAgent(),
        },
        ACCESS_ENV,
      );
    expect((await post({ origin: 'https://evil.example', 'x-csrf-token': session.csrf_token })).status).toBe(
      403,
    );
    expect((await post({ origin: LOOPBACK })).status).toBe(403);
    expect((await post({ origin: LOOPBACK, 'x-csrf-token': session.csrf_token })).status).toBe(201);
  });
});
