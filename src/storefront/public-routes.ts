import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { storefrontSettings } from './settings';

/** `GET /v1/config` and `GET /v1/tokenize.js`: what a page needs to tokenize a card. Nothing secret. */
export function mountPublicRoutes(app: Hono<AppEnv>, tokenizeJs: () => Promise<string>): void {
  app.get('/v1/config', (c) => {
    const settings = storefrontSettings(c.env);
    return c.json(
      {
        public_key: c.env.CHECKOUT_PUBLIC_KEY,
        environment: c.env.CHECKOUT_ENVIRONMENT === 'production' ? 'production' : 'sandbox',
        // Card data goes here, from the browser, with the public key: the account's API host serves /tokens.
        tokenization_url: `${c.env.CHECKOUT_API_BASE.replace(/\/+$/, '')}/tokens`,
        tokenize_js: new URL('/v1/tokenize.js', c.req.url).href,
        order_mode: settings.orderMode,
        currencies: [...settings.currencies].map(([code, l]) => ({ code, min: l.min, max: l.max })),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.get('/v1/tokenize.js', async (c) =>
    c.body(await tokenizeJs(), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
    }),
  );
}
