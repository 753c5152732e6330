import { Hono } from 'hono';

/**
 * The benchmarks' baseline: a Hono Worker that reads the body and answers 200, nothing else. Bollard's
 * webhook receiver is measured against it in the same run (bench/webhooks.bench.ts), and its cold start
 * against Bollard's (bench/coldstart.bench.ts).
 *
 * With `FORWARD_TO` set (bench topology), `/forward/<path>` is passed through untouched to
 * `FORWARD_TO/<path>`: the floor of any gateway in the topology (one more Worker and one more loopback
 * hop, no work), against which Bollard's own cost on the storefront and agent paths is read.
 */
const app = new Hono<{ Bindings: { FORWARD_TO?: string } }>();

app.all('/forward/*', (c) => {
  const base = c.env.FORWARD_TO;
  if (!base) return c.json({ error: 'FORWARD_TO is not set' }, 404);
  const url = new URL(c.req.url);
  return fetch(new Request(`${base}${url.pathname.slice('/forward'.length)}${url.search}`, c.req.raw));
});
app.post('*', async (c) => {
  await c.req.arrayBuffer();
  return c.json({ received: true });
});
app.get('*', (c) => c.json({ status: 'ok' }));

export default app;
