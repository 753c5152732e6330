import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { mintOrderToken } from '../storefront/order-token';
import { CONFIRM_JS } from './confirm-script';
import { demoItem } from './items';
import { shopPage } from './page';
import { SHOP_JS } from './shop-script';

/**
 * The demo storefront, served only when `DEMO_ENABLED = "true"` (`npm start` sets it): the shop page at
 * `/`, its script, and — dev only — `POST /demo/order-token`, which plays the merchant backend that signs
 * order tokens in signed mode. A real merchant signs on their own server with their own copy of the key;
 * this route must never exist in production, so every demo route is a 404 unless the demo is on.
 */
export function createDemoApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/', demoOnly());
  app.use('/demo/*', demoOnly());

  app.get('/', (c) => {
    const tokenOrigin = safeOrigin(c.env.CHECKOUT_API_BASE);
    return c.html(shopPage(), 200, {
      // The page talks to Bollard and, for card data only, to the tokenization host.
      'content-security-policy': [
        "default-src 'self'",
        `connect-src 'self'${tokenOrigin ? ` ${tokenOrigin}` : ''}`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });

  app.get('/demo/shop.js', (c) =>
    c.body(SHOP_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }),
  );
  app.get('/demo/confirm.js', (c) =>
    c.body(CONFIRM_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-store',
    }),
  );

  app.post('/demo/order-token', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { item_id?: unknown } | null;
    const item = demoItem(body?.item_id);
    if (!item) {
      throw new BollardError('request_invalid', {
        codes: ['item_id_invalid'],
        message: 'no such item in the demo shop',
      });
    }
    const order_token = await mintOrderToken(
      {
        amount: item.amount,
        currency: item.currency,
        reference: `DEMO-${crypto.randomUUID().slice(0, 8).toUpperCase()}`,
      },
      c.env.ORDER_TOKEN_KEY,
      { ttlSeconds: 600 },
    );
    return c.json({ order_token }, 201, { 'cache-control': 'no-store' });
  });

  return app;
}

function demoOnly() {
  return async function demoOnlyMiddleware(c: { env: Env }, next: () => Promise<void>) {
    if (c.env.DEMO_ENABLED !== 'true') {
      throw new BollardError('not_found', { codes: ['route_not_found'], message: 'no such route' });
    }
    await next();
  };
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
