import type { Context } from 'hono';
import { Hono } from 'hono';
import { scopesCover } from '../../../src/catalog';
import { issueAccessToken } from '../lib/auth';
import { getConfig } from '../lib/config';
import type { SimHonoEnv } from '../lib/context';
import { bump, COUNTER } from '../lib/stats';

/**
 * `POST /connect/token` (facts §1): client_credentials only; client id and secret by HTTP Basic
 * (client_secret_basic) or in the form (client_secret_post); `scope` space-separated. Without `scope`
 * the token carries every scope the client is allowed (documented choice: the real server's default is
 * unconfirmed). Errors are RFC 6749 §5.2 bodies with status 400.
 */
export const oauthRoutes = new Hono<SimHonoEnv>();

type OAuthError = 'invalid_request' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type';

function oauthError(c: Context<SimHonoEnv>, error: OAuthError): Response {
  c.header('Cache-Control', 'no-store');
  return c.json({ error }, 400);
}

function basicCredentials(header: string | undefined): [string, string] | null {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return null;
  let decoded: string;
  try {
    decoded = atob(match[1] as string);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  try {
    return [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))];
  } catch {
    return null;
  }
}

oauthRoutes.post('/connect/token', async (c) => {
  const sim = c.var.sim;
  const type = c.req.header('Content-Type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded'))
    return oauthError(c, 'invalid_request');
  const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
  const grant = form.get('grant_type');
  if (!grant) return oauthError(c, 'invalid_request');
  if (grant !== 'client_credentials') return oauthError(c, 'unsupported_grant_type');
  const basic = basicCredentials(c.req.header('Authorization'));
  const formId = form.get('client_id');
  const formSecret = form.get('client_secret');
  if (basic && (formSecret !== null || (formId !== null && formId !== basic[0]))) {
    return oauthError(c, 'invalid_request');
  }
  const [clientId, secret] = basic ?? [formId, formSecret];
  const client = clientId ? getConfig(sim.sql, sim.env).oauth_clients[clientId] : undefined;
  if (!clientId || !client || secret === null || secret !== client.secret)
    return oauthError(c, 'invalid_client');
  const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
  if (requested.some((s) => !scopesCover(client.scopes, s))) return oauthError(c, 'invalid_scope');
  const scopes = requested.length > 0 ? [...new Set(requested)] : client.scopes;
  const ttl = getConfig(sim.sql, sim.env).token_ttl_seconds;
  const token = await issueAccessToken(sim.sql, clientId, scopes, sim.now(), ttl);
  bump(sim.sql, COUNTER.tokensIssued);
  c.header('Cache-Control', 'no-store');
  return c.json({ access_token: token, token_type: 'Bearer', expires_in: ttl, scope: scopes.join(' ') });
});
