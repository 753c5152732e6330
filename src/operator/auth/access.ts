import {
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';

/**
 * Cloudflare Access as an alternative to the admin token. With `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`
 * set, Access sits in front of `/admin*` and adds `Cf-Access-Jwt-Assertion` (an RS256 JWT) to every
 * request it lets through; Bollard verifies it against the team's signing keys
 * (`https://<team>.cloudflareaccess.com/cdn-cgi/access/certs`), its issuer (the team domain), its
 * audience (the application's AUD tag) and its expiry. Never trust the header without verifying it:
 * anything that reaches the Worker's other routes could send it.
 * https://developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/
 */

export interface AccessConfig {
  issuer: string;
  certsUrl: string;
  audiences: string[];
}

export interface AccessIdentity {
  subject: string;
  email: string | null;
}

export type AccessCheck =
  | { ok: true; identity: AccessIdentity }
  | { ok: false; reason: 'access_jwt_expired' | 'access_jwt_invalid' | 'access_audience_invalid' };

/** Access's configuration, or null when it is off (either variable missing). */
export function accessConfig(env: Env): AccessConfig | null {
  const team = (env.ACCESS_TEAM_DOMAIN ?? '')
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const audiences = (env.ACCESS_AUD ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!team || audiences.length === 0 || !/^[a-z0-9.-]+$/.test(team)) return null;
  const host = team.includes('.') ? team : `${team}.cloudflareaccess.com`;
  const issuer = `https://${host}`;
  return { issuer, certsUrl: `${issuer}/cdn-cgi/access/certs`, audiences };
}

/**
 * One key set per certs URL per isolate. `createRemoteJWKSet` caches the keys (refetching at most every
 * 30 s when a token names an unknown key, as after Access rotates them, and after 10 minutes at most).
 */
const keySets = new Map<string, JWTVerifyGetKey>();
let fetchOverride: FetchImplementation | undefined;

/**
 * Tests only: fetch the certs with this function instead of the network (and forget cached key sets).
 * `undefined` restores the default.
 */
export function useAccessCertsFetch(fetchImpl: FetchImplementation | undefined): void {
  fetchOverride = fetchImpl;
  keySets.clear();
}

function keySet(certsUrl: string): JWTVerifyGetKey {
  let set = keySets.get(certsUrl);
  if (!set) {
    set = createRemoteJWKSet(new URL(certsUrl), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
      ...(fetchOverride ? { [customFetch]: fetchOverride } : {}),
    });
    keySets.set(certsUrl, set);
  }
  return set;
}

/** Verifies a `Cf-Access-Jwt-Assertion` value. */
export async function verifyAccessJwt(
  config: AccessConfig,
  jwt: string,
  nowMs: number,
): Promise<AccessCheck> {
  try {
    const { payload } = await jwtVerify(jwt, keySet(config.certsUrl), {
      algorithms: ['RS256'],
      issuer: config.issuer,
      audience: config.audiences,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub', 'aud'],
    });
    return {
      ok: true,
      identity: {
        subject: String(payload.sub),
        email: typeof payload.email === 'string' ? payload.email : null,
      },
    };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'access_jwt_expired' };
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud')
      return { ok: false, reason: 'access_audience_invalid' };
    return { ok: false, reason: 'access_jwt_invalid' };
  }
}
