import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../src/catalog';
import { CATALOG, fillPath, requiredScope, WORKFLOWS_OAUTH_SCOPE } from '../../src/catalog';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { admin, api, call, json, PK, resetSim, SK } from './helpers';

beforeEach(resetSim, 30_000);

const NO_SCOPES = 'sk_sbox_matrixnoscopesaaaaaaaaaaaaq';
const keyFor = (scope: string) => `sk_sbox_matrix_${scope.replace(/[^a-z]/g, '')}`;

/** One request per catalog row, to an id that does not exist (so a pass is a 404/422, never a change). */
function request(entry: CatalogEntry, credential: string): Promise<Response> {
  const path = fillPath(entry.path, { id: 'unknown_id_0000000000000000' });
  const body = entry.method === 'GET' || entry.method === 'DELETE' ? undefined : {};
  return api(entry.method, path, credential, body);
}

async function oauthToken(scope: string): Promise<string> {
  const res = await call('/connect/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: DEV_CREDENTIALS.oauthClientId,
      client_secret: DEV_CREDENTIALS.oauthClientSecret,
      scope,
    }).toString(),
  });
  return (await json(res)).access_token as string;
}

async function configureKeys(): Promise<void> {
  const keys: Record<string, { kind: string; scopes: string[] }> = {
    [NO_SCOPES]: { kind: 'secret', scopes: [] },
  };
  for (const entry of CATALOG) {
    const scope = requiredScope(entry);
    if (scope) keys[keyFor(scope)] = { kind: 'secret', scopes: [scope] };
  }
  expect((await admin('POST', '/_sim/config', { keys })).status).toBe(200);
}

const scoped = CATALOG.filter((e) => requiredScope(e) !== null && e.name !== 'createToken');

describe('permission matrix: every catalog row', () => {
  it('covers all 32 rows', () => {
    expect(CATALOG).toHaveLength(32);
  });

  it.each(scoped.map((e) => [`${e.method} ${e.path}`, e] as const))(
    '%s: 403 without its scope, through with it',
    async (_, entry) => {
      await configureKeys();
      const scope = requiredScope(entry) as string;
      const without = await request(entry, NO_SCOPES);
      expect(without.status).toBe(403);
      expect((await json(without)).error_type).toBe('forbidden');
      const withKey = await request(entry, keyFor(scope));
      expect([401, 403]).not.toContain(withKey.status);
      // The OAuth token carrying exactly that scope, and one carrying only another area's scope.
      const token = await oauthToken(scope);
      expect([401, 403]).not.toContain((await request(entry, token)).status);
      const other = await oauthToken(scope.startsWith('disputes') ? 'gateway' : 'disputes');
      expect((await request(entry, other)).status).toBe(403);
      // The parent scope covers it.
      const parent = scope.split(':')[0] as string;
      expect([401, 403]).not.toContain((await request(entry, await oauthToken(parent))).status);
      // The public key never reaches it.
      expect((await request(entry, PK)).status).toBe(401);
    },
    30_000,
  );

  it.each(CATALOG.filter((e) => requiredScope(e) === null).map((e) => [`${e.method} ${e.path}`, e] as const))(
    '%s (scope not stated): any secret key; a token needs flow:workflows',
    async (_, entry) => {
      await configureKeys();
      expect([401, 403]).not.toContain((await request(entry, NO_SCOPES)).status);
      expect((await request(entry, await oauthToken('gateway'))).status).toBe(403);
      expect([401, 403]).not.toContain(
        (await request(entry, await oauthToken(WORKFLOWS_OAUTH_SCOPE))).status,
      );
      expect([401, 403]).not.toContain((await request(entry, await oauthToken('flow'))).status);
      expect((await request(entry, PK)).status).toBe(401);
    },
    30_000,
  );

  it('POST /tokens: only the public key', async () => {
    const entry = CATALOG.find((e) => e.name === 'createToken') as CatalogEntry;
    expect((await request(entry, PK)).status).toBe(422);
    expect((await request(entry, SK)).status).toBe(401);
    expect((await request(entry, await oauthToken('vault'))).status).toBe(401);
  });

  it('401 without a credential on every row', async () => {
    for (const entry of CATALOG) {
      const path = fillPath(entry.path, { id: 'unknown_id_0000000000000000' });
      expect((await api(entry.method, path, null)).status, `${entry.method} ${entry.path}`).toBe(401);
    }
  }, 60_000);
});
