import { jwtVerify, SignJWT } from 'jose';
import type { CatalogEntry } from '../../../src/catalog';
import { requiredScope, scopesCover, WORKFLOWS_OAUTH_SCOPE } from '../../../src/catalog';
import { getConfig, readState, writeState } from './config';
import type { Principal } from './context';

const ISSUER = 'checkout-sim';
const SECRET_STATE_KEY = 'jwt_secret';

/** The HS256 key OAuth tokens are signed with: random per simulator, replaced by a reset. */
function signingKey(sql: SqlStorage): Uint8Array {
  let hex = readState(sql, SECRET_STATE_KEY);
  if (!hex) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    writeState(sql, SECRET_STATE_KEY, hex);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Signs an access token carrying `scopes` (space-separated in the `scope` claim, as RFC 8693 does). */
export async function issueAccessToken(
  sql: SqlStorage,
  clientId: string,
  scopes: readonly string[],
  nowMs: number,
  ttlSeconds: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ scope: scopes.join(' '), client_id: clientId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(signingKey(sql));
}

/** The credential in an Authorization header: `Bearer <x>` or the bare value (both accepted, facts §2). */
export function credentialFrom(header: string | undefined): string | null {
  if (!header) return null;
  const value = header.trim();
  const bearer = /^Bearer\s+(.+)$/i.exec(value);
  const credential = (bearer ? (bearer[1] as string) : value).trim();
  return credential.length > 0 ? credential : null;
}

/** Resolves a credential to a principal, or null (→ 401) when it is unknown, malformed or expired. */
export async function authenticate(
  sql: SqlStorage,
  env: Env,
  credential: string,
  nowMs: number,
): Promise<Principal | null> {
  const config = getConfig(sql, env);
  const key = config.keys[credential];
  if (key) {
    return key.kind === 'public'
      ? { kind: 'public_key', key: credential }
      : { kind: 'secret_key', key: credential, scopes: key.scopes };
  }
  if (credential.split('.').length !== 3) return null;
  try {
    const { payload } = await jwtVerify(credential, signingKey(sql), {
      issuer: ISSUER,
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
    });
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    const clientId = typeof payload.sub === 'string' ? payload.sub : '';
    return { kind: 'oauth', clientId, scopes: scope.split(' ').filter(Boolean) };
  } catch {
    return null;
  }
}

/** What a request needs: a catalog row's permission, or (outside the catalog) a scope. */
export type Requirement =
  | { kind: 'entry'; entry: CatalogEntry }
  /** `POST /payment-sessions/{id}/submit`: not a catalog row; it makes a payment, so `gateway:payment`. */
  | { kind: 'scope'; scope: string }
  /** Workflows paths outside the catalog: treated like the workflows rows. */
  | { kind: 'not-stated' };

export type AuthDecision = 'ok' | 'unauthorized' | 'forbidden';

/**
 * The permission check, driven by the catalog:
 * - `POST /tokens` takes the public key only; any other credential gets 401, as the real API answers a
 *   key of the wrong kind (the request is not authenticated *for that endpoint*).
 * - everything else refuses the public key with 401, and checks the secret key's or token's scopes
 *   (a parent such as `gateway` covers its children) → 403 when missing;
 * - rows whose scope the guide does not state (workflows): any secret key passes, an OAuth token needs
 *   `flow` or `flow:workflows` (the 2021 spec's scope, `WORKFLOWS_OAUTH_SCOPE`).
 */
export function authorize(principal: Principal, requirement: Requirement): AuthDecision {
  if (principal.kind === 'sim_admin') return 'unauthorized';
  const isTokens = requirement.kind === 'entry' && requirement.entry.name === 'createToken';
  if (isTokens) return principal.kind === 'public_key' ? 'ok' : 'unauthorized';
  if (principal.kind === 'public_key') return 'unauthorized';
  const scope =
    requirement.kind === 'scope'
      ? requirement.scope
      : requirement.kind === 'entry'
        ? requiredScope(requirement.entry)
        : null;
  if (scope === null) {
    if (principal.kind === 'secret_key') return 'ok';
    return scopesCover(principal.scopes, WORKFLOWS_OAUTH_SCOPE) ? 'ok' : 'forbidden';
  }
  return scopesCover(principal.scopes, scope) ? 'ok' : 'forbidden';
}
