import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * The console's session: the admin token, presented once at sign-in, is exchanged for a short-lived
 * HS256 JWT in an HttpOnly cookie, so the page never holds the token.
 *
 * - **Key**: HKDF-SHA256 over `ADMIN_TOKEN` (and `CONSOLE_SESSION_KEY` when that secret is set), with a
 *   purpose label per use (`session`, `csrf`). Rotating `ADMIN_TOKEN` — or `CONSOLE_SESSION_KEY` — changes
 *   the key, so every session signed before stops verifying at once. Nothing is stored server-side.
 * - **Lifetime**: sliding: each authenticated request with less than `SESSION_REFRESH_BELOW_S` left gets
 *   a fresh cookie for another `SESSION_IDLE_S`; never past `SESSION_MAX_S` after sign-in (`auth_time`).
 * - **Cookie**: `__Host-bollard_session` (HttpOnly, Secure, SameSite=Strict, Path=/) over https; on a
 *   loopback http origin (`wrangler dev`) `bollard_session` without Secure, which browsers would drop on
 *   http. Anywhere else over plain http there is no session.
 */

/** Idle lifetime: a session unused for this long is over. */
export const SESSION_IDLE_S = 30 * 60;
/** Absolute lifetime from sign-in, however active the session is. */
export const SESSION_MAX_S = 12 * 60 * 60;
/** A request with less than this left renews the cookie (so not every answer carries a Set-Cookie). */
export const SESSION_REFRESH_BELOW_S = 20 * 60;

const ISSUER = 'bollard';
const AUDIENCE = 'bollard-console';
const COOKIE_SECURE = '__Host-bollard_session';
const COOKIE_LOOPBACK = 'bollard_session';

const encoder = new TextEncoder();

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The cookie's name for this origin, or null where no session cookie may be set (http, not loopback). */
export function sessionCookieName(url: URL): string | null {
  if (url.protocol === 'https:') return COOKIE_SECURE;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return COOKIE_LOOPBACK;
  return null;
}

/** `Set-Cookie` for the session (a value) or for ending it (null). */
export function sessionCookie(url: URL, value: string | null, maxAgeS = SESSION_IDLE_S): string {
  const name = sessionCookieName(url) ?? COOKIE_SECURE;
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  const v = value ?? '';
  const age = value === null ? 0 : maxAgeS;
  return `${name}=${v}; Path=/; Max-Age=${age}; HttpOnly; SameSite=Strict${secure}`;
}

/** The session cookie's value on this request, if any. */
export function readSessionCookie(url: URL, cookieHeader: string | undefined): string | null {
  const name = sessionCookieName(url);
  if (!name || !cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

let keyCache: { ikm: string; keys: Map<string, Uint8Array> } | null = null;

/**
 * A 32-byte key for one purpose, derived from the admin token (and `CONSOLE_SESSION_KEY`), or null when
 * there is no admin token. Cached per isolate for the current secrets only.
 */
export async function consoleKey(env: Env, purpose: 'session' | 'csrf'): Promise<Uint8Array | null> {
  if (!env.ADMIN_TOKEN) return null;
  const ikm = `${env.ADMIN_TOKEN}\u0000${env.CONSOLE_SESSION_KEY ?? ''}`;
  if (keyCache?.ikm !== ikm) keyCache = { ikm, keys: new Map() };
  const cached = keyCache.keys.get(purpose);
  if (cached) return cached;
  const base = await crypto.subtle.importKey('raw', encoder.encode(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode('bollard-console'),
      info: encoder.encode(`bollard-console-${purpose}-v1`),
    },
    base,
    256,
  );
  const key = new Uint8Array(bits);
  keyCache.keys.set(purpose, key);
  return key;
}

export interface Session {
  /** Random id of this sign-in; the CSRF token is bound to it. */
  sid: string;
  /** Seconds since the epoch. */
  exp: number;
  authTime: number;
}

export type SessionCheck =
  | { ok: true; session: Session }
  | { ok: false; reason: 'session_expired' | 'session_invalid' };

/** Signs a session: a new one at sign-in, or a renewal keeping `sid` and `authTime`. */
export async function mintSession(
  env: Env,
  nowMs: number,
  renew?: Session,
): Promise<{ jwt: string; session: Session } | null> {
  const key = await consoleKey(env, 'session');
  if (!key) return null;
  const now = Math.floor(nowMs / 1000);
  const authTime = renew?.authTime ?? now;
  const exp = Math.min(now + SESSION_IDLE_S, authTime + SESSION_MAX_S);
  const sid = renew?.sid ?? randomId();
  const jwt = await new SignJWT({ sid, auth_time: authTime })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('admin')
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(key);
  return { jwt, session: { sid, exp, authTime } };
}

/** Verifies a session cookie: signature (current key), issuer, audience, expiry and absolute age. */
export async function verifySession(env: Env, jwt: string, nowMs: number): Promise<SessionCheck> {
  const key = await consoleKey(env, 'session');
  if (!key) return { ok: false, reason: 'session_invalid' };
  try {
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: 'admin',
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'iat', 'sid', 'auth_time'],
    });
    const sid = payload.sid;
    const authTime = payload.auth_time;
    if (typeof sid !== 'string' || typeof authTime !== 'number' || typeof payload.exp !== 'number')
      return { ok: false, reason: 'session_invalid' };
    if (authTime + SESSION_MAX_S <= Math.floor(nowMs / 1000)) return { ok: false, reason: 'session_expired' };
    return { ok: true, session: { sid, exp: payload.exp, authTime } };
  } catch (err) {
    return {
      ok: false,
      reason: err instanceof joseErrors.JWTExpired ? 'session_expired' : 'session_invalid',
    };
  }
}

/**
 * The CSRF token of a principal (a session id, or an Access identity): HMAC-SHA256 under the console's
 * CSRF key, base64url. The page gets it from `GET /admin/session` (same-origin only: no CORS) and sends
 * it as `X-CSRF-Token` on every write; a cross-site page can neither read nor compute it.
 */
export async function csrfToken(env: Env, principal: string): Promise<string> {
  // Without an admin token (Access alone) the token is still bound to the principal and unreadable
  // cross-site, but computable by whoever knows the audience: the Origin check is then what holds.
  const raw =
    (await consoleKey(env, 'csrf')) ?? encoder.encode(`bollard-console-csrf:${env.ACCESS_AUD ?? ''}`);
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`csrf:${principal}`)));
  return base64url(mac);
}

function randomId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(18)));
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
