import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { eventsRoutes } from './events/routes';
import { authGate, classify, cutAfterAnswer, idempotency, rateLimit } from './lib/api-gate';
import type { SimContext, SimHonoEnv } from './lib/context';
import { faults } from './lib/fault-gate';
import type { SimRuntime } from './lib/runtime';
import { balancesRoutes } from './routes/balances';
import { controlRoutes } from './routes/control';
import { customersRoutes } from './routes/customers';
import { instrumentsRoutes } from './routes/instruments';
import { oauthRoutes } from './routes/oauth';
import { pagesRoutes } from './routes/pages';
import { paymentLinksRoutes } from './routes/payment-links';
import { paymentSessionsRoutes } from './routes/payment-sessions';
import { paymentsRoutes } from './routes/payments';
import { tokensRoutes } from './routes/tokens';
import { transfersRoutes } from './routes/transfers';

export interface AppDeps {
  /** Builds the per-request simulator context (inside the Durable Object). */
  sim(request: Request): SimContext;
  runtime: SimRuntime;
}

/** Request ids look like the real ones: short upper-case alphanumerics. */
function requestId(): string {
  return `sim_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`;
}

function withHeader(res: Response, name: string, value: string): Response {
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}

/**
 * The simulator's Hono app. Order matters: the request id and context first; then the paths that are not
 * API methods (health, control plane, OAuth token endpoint, hosted pages); then the API gate — count,
 * rate limit, authenticate and check scope against the catalog, idempotency, faults — before any route
 * (wrapped by `cutAfterAnswer`, which turns a `drop: "after"` answer into a cut once all of them saw it).
 */
export function createSimApp(deps: AppDeps): Hono<SimHonoEnv> {
  const app = new Hono<SimHonoEnv>();

  app.use('*', async (c, next) => {
    const id = requestId();
    c.set('requestId', id);
    c.set('sim', deps.sim(c.req.raw));
    c.set('runtime', deps.runtime);
    c.set('entry', null);
    c.set('access', c.req.method === 'GET' ? 'read' : 'write');
    c.set('routeKey', `${c.req.method} (unmatched)`);
    c.set('dropAfter', false);
    await next();
    // An answer given before the body was read (401, 429, ...) must still drain it, or workerd
    // reports a read from a request stream after the response was sent.
    const raw = c.req.raw;
    if (raw.body && !raw.bodyUsed) await raw.arrayBuffer().catch(() => undefined);
    c.res = withHeader(c.res, 'Cko-Request-Id', id);
  });

  app.onError((err, c) => {
    console.error(
      JSON.stringify({ msg: 'sim: unhandled error', error: err instanceof Error ? err.name : 'unknown' }),
    );
    return c.json({ request_id: c.get('requestId'), error_type: 'server_error', error_codes: [] }, 500);
  });
  app.notFound((c) => c.body(null, 404));

  app.get('/healthz', (c) => c.json({ status: 'ok', service: 'checkout-sim' }));

  // Control plane: every /_sim/* path (the events module adds its own) needs the admin key.
  app.use('/_sim/*', async (c, next): Promise<Response | undefined> => {
    const header = c.req.header('Authorization') ?? '';
    if (header !== `Bearer ${c.env.SIM_ADMIN_KEY}`) return c.body(null, 401);
    await next();
    return undefined;
  });
  app.route('/', controlRoutes);

  // The token endpoint lives on its own host in reality: not rate limited, but counted and fault-injectable.
  app.use('/connect/token', cutAfterAnswer(), classify(), faults());
  app.route('/', oauthRoutes);

  // Hosted pages a browser opens without credentials; counted per route only.
  app.use('/link/*', classify());
  app.use('/3ds/*', classify());
  app.route('/', pagesRoutes);

  // A browser page on another origin tokenizes cards with the public key (facts §10), so /tokens is CORS-open.
  app.use(
    '/tokens',
    cors({
      origin: '*',
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Cko-Idempotency-Key'],
      exposeHeaders: ['Cko-Request-Id'],
      maxAge: 600,
    }),
  );

  const gate = [cutAfterAnswer(), classify(), rateLimit(), authGate(), idempotency(), faults()] as const;
  app.use('*', async (c, next) => {
    if (c.req.path.startsWith('/_sim/')) return next();
    return runChain(gate, c, next);
  });

  app.route('/', tokensRoutes);
  app.route('/', paymentsRoutes);
  app.route('/', paymentSessionsRoutes);
  app.route('/', paymentLinksRoutes);
  app.route('/', instrumentsRoutes);
  app.route('/', customersRoutes);
  app.route('/', transfersRoutes);
  app.route('/', balancesRoutes);
  app.route('/', eventsRoutes);
  return app;
}

type Middleware = ReturnType<typeof classify>;

/** Runs middleware in order, as `app.use(a, b, c)` would, but only for the paths the gate covers. */
async function runChain(
  chain: readonly Middleware[],
  c: Parameters<Middleware>[0],
  last: () => Promise<void>,
): Promise<Response | undefined> {
  const dispatch = async (i: number): Promise<void> => {
    const mw = chain[i];
    if (!mw) return last();
    const res = await mw(c, () => dispatch(i + 1));
    if (res instanceof Response) c.res = res;
  };
  await dispatch(0);
  return c.res;
}
