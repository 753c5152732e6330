import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { mintSession } from '../../src/operator/auth/session';
import worker from '../../workers/bollard/index';

/** The Worker's own fetch in this isolate (so module-level test hooks, like the Access certs, apply). */
export function call(
  url: string,
  init: RequestInit = {},
  envOverride: Partial<Env> & Record<string, unknown> = {},
) {
  return Promise.resolve(
    worker.fetch(new Request(url, init), { ...env, ...envOverride } as Env, createExecutionContext()),
  );
}

export const LOOPBACK = 'http://127.0.0.1:8787';
export const ADMIN_TOKEN = env.ADMIN_TOKEN;

/** A session cookie header for the loopback origin, signed as Bollard would at `nowMs`. */
export async function sessionCookieAt(nowMs: number, envOverride: Partial<Env> = {}): Promise<string> {
  const minted = await mintSession({ ...env, ...envOverride } as Env, nowMs);
  if (!minted) throw new Error('no admin token configured');
  return `bollard_session=${minted.jwt}`;
}

/** Signs in through the API and returns the cookie and CSRF token. */
export async function signIn(
  origin = LOOPBACK,
): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await call(`${origin}/admin/session`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ token: ADMIN_TOKEN }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrf_token: string };
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrf_token, setCookie };
}

export const TEAM = 'bollard-test';
export const ISSUER = `https://${TEAM}.cloudflareaccess.com`;
export const AUD = 'aud-bollard-console-test';
export const ACCESS_ENV = { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD };

/** An Access team's signing key and a JWKS served from memory, counting certificate fetches. */
export async function accessTeam() {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const stranger = await generateKeyPair('RS256', { extractable: true });
  const fetched: string[] = [];
  const certsFetch = async (url: string) => {
    fetched.push(url);
    return new Response(JSON.stringify({ keys: [jwk] }), { headers: { 'content-type': 'application/json' } });
  };
  const sign = (
    claims: Record<string, unknown> = {},
    opts: { key?: CryptoKey; kid?: string; exp?: number } = {},
  ) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: 'ops@example.com', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
      .setIssuer((claims.iss as string | undefined) ?? ISSUER)
      .setAudience((claims.aud as string | undefined) ?? AUD)
      .setSubject('user-123')
      .setIssuedAt(now - 10)
      .setExpirationTime(opts.exp ?? now + 600)
      .sign(opts.key ?? privateKey);
  };
  return { certsFetch, fetched, sign, strangerKey: stranger.privateKey };
}
