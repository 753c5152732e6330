import type { Context, Hono, MiddlewareHandler } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { lazyModule } from '../http/lazy-module';
import { upstreamStats } from '../http/upstream-stats';
import { isolateAggregate } from '../metrics/aggregate';
import { rateGateFromEnv } from '../ratelimit/from-env';
import type { Operator } from './app';

/**
 * Where the operator module is in the deployed Worker: wrangler uploads `workers/bollard/.build/
 * operator.mjs` (built by `scripts/build-chunks.mjs`, part of the `[build]` command) beside
 * the main module (`find_additional_modules`, docs/operations.md "Cold start"). A specifier in a variable
 * is left alone by the bundler, so the main module does not contain the operator surfaces.
 */
const DEPLOYED_MODULE = './.build/operator.mjs';
/** The same module from source, where the code runs unbundled (the vitest pool). */
const SOURCE_MODULE = './module.ts';

type OperatorModule = typeof import('./module');
let loading: Promise<Operator> | null = null;

/** Loads the operator module once per isolate (also for the storefront's `GET /openapi.json` text). */
export const loadOperatorModule = lazyModule<OperatorModule>(
  () => import(/* @vite-ignore */ DEPLOYED_MODULE),
  () => import(/* @vite-ignore */ SOURCE_MODULE),
);

/** The storefront's `GET /openapi.json` text, which the operator module carries (src/storefront). */
export async function storefrontOpenApiJson(): Promise<string> {
  return (await loadOperatorModule()).STOREFRONT_OPENAPI_JSON;
}

/**
 * The storefront's `GET /v1/tokenize.js` text, which the operator module carries too: 2.3 KiB gzip the
 * main module would otherwise parse on every cold start for a file a browser fetches once and caches.
 */
export async function storefrontTokenizeJs(): Promise<string> {
  return (await loadOperatorModule()).STOREFRONT_TOKENIZE_JS;
}

let headers: MiddlewareHandler<AppEnv> | null = null;

/**
 * The console's security headers (src/console/security-headers.ts), from the operator module that every
 * /admin request loads anyway: Hono's `secureHeaders` then stays out of the main module.
 */
const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  headers ??= (await loadOperatorModule()).consoleSecurityHeaders();
  return headers(c, next);
};

/** The operator sub-app, created once per isolate on the first operator (or demo) request. */
export function loadOperator(): Promise<Operator> {
  loading ??= loadOperatorModule().then((m) =>
    // The module has its own copies of these singletons: it reads the main module's, which the hot paths feed.
    m.createOperator({ aggregate: isolateAggregate, upstream: upstreamStats, gate: rateGateFromEnv }),
  );
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

function executionCtxOf(c: Context<AppEnv>): Context['executionCtx'] | undefined {
  try {
    return c.executionCtx;
  } catch {
    // `app.request()` in tests: no ExecutionContext
    return undefined;
  }
}

async function dispatch(c: Context<AppEnv>): Promise<Response> {
  const operator = await loadOperator();
  const answer = await operator.fetch(c.req.raw, c.env, executionCtxOf(c), {
    requestId: c.get('requestId'),
    log: c.get('log'),
  });
  if (answer.route !== null) c.set('route', answer.route);
  return answer.response;
}

/** The demo's routes are a 404 unless the demo is on, without loading the operator module. */
async function demoDispatch(c: Context<AppEnv>): Promise<Response> {
  if (c.env.DEMO_ENABLED !== 'true')
    throw new BollardError('not_found', { codes: ['route_not_found'], message: 'no such route' });
  return dispatch(c);
}

/**
 * Hands `/admin` and `/admin/*` (the console, status, doctor, metrics, OpenAPI, the agents' and webhooks'
 * admin routes) and the demo shop (`/`, `/demo/*`, `GET /v1/events/recent`) to the operator module
 * (src/operator/app.ts), loaded on first use: none of them is a hot path, and together they are most of
 * the Worker's code. The operator module authenticates every `/admin*` request but its public list; no
 * `/admin*` route is registered anywhere else. Register it before the hot-path routes' middleware, where
 * these routes stood.
 */
export function mountOperator(app: Hono<AppEnv>): void {
  // Every /admin answer carries the console's security headers (CSP: no inline script), errors included.
  app.use('/admin', securityHeaders);
  app.use('/admin/*', securityHeaders);
  app.all('/admin', dispatch);
  app.all('/admin/*', dispatch);
  app.all('/', demoDispatch);
  app.all('/demo/*', demoDispatch);
  app.get('/v1/events/recent', demoDispatch);
}
