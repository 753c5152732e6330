import type { Hono } from 'hono';
import type { AppEnv } from '../../http';
import { currentJwks } from './signer';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * `GET /.well-known/jwks.json` (public, no credential): the public keys that verify receipts and archive
 * heads — the current key and each previous key until its `verify_until`. Only public members are ever
 * written (`publicJwk` copies them by name). Cached briefly: a rotation shows within five minutes.
 */
export function mountJwks(app: Hono<AppEnv>): void {
  app.get(JWKS_PATH, async (c) =>
    c.json(await currentJwks(c.env), 200, {
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
    }),
  );
}
