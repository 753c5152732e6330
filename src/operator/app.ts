import { type Context, Hono } from 'hono';
import { adminRoutes } from '../admin/routes';
import { type IsolateCounters, registerStorageProbe } from '../admin/status';
import { mountApprovalAdmin } from '../agents/admin/approvals-routes';
import { archiveAdminRoutes } from '../agents/admin/archive-routes';
import { mountAgentAdmin } from '../agents/admin/routes';
import { agentStorage } from '../agents/admin/storage-probe';
import { approverRoutes } from '../approvers/routes';
import { consoleRoutes } from '../console/routes';
import { createDemoApp } from '../demo';
import { type AppEnv, errorHandler, type Logger, notFoundHandler } from '../http';
import type { RollingAggregate } from '../metrics/aggregate';
import { routeOf } from '../metrics/middleware';
import { metricsRoutes } from '../metrics/routes';
import { adminWebhookRoutes } from '../webhooks/admin-routes';
import { adminCredentialStatus } from './auth/credential-limit';
import { adminGuard } from './auth/guard';
import { sessionRoutes } from './auth/session-routes';

/** What the main module shares with the operator module once, when it loads it: this isolate's state. */
export interface OperatorIsolate extends IsolateCounters {
  /** The metrics middleware's rolling aggregate (`GET /admin/metrics` without the SQL API). */
  aggregate: RollingAggregate;
}

/** The main module's request context for one request: its id (`Cko-Request-Id`) and logger. */
export interface OperatorRequest {
  requestId: string;
  log: Logger;
}

/** One answer: the response, and the route template that answered (null: none matched). */
export interface OperatorAnswer {
  response: Response;
  route: string | null;
}

export interface Operator {
  /** The sub-app's routes (method, path), as Hono's `app.routes` lists them. */
  readonly routes: readonly { method: string; path: string }[];
  fetch(
    request: Request,
    env: Env,
    ctx: Context['executionCtx'] | undefined,
    context: OperatorRequest,
  ): Promise<OperatorAnswer>;
}

/**
 * The operator surfaces and the demo shop as one sub-app with its own router, error handler and 404:
 * the console, `/admin/session`, `/admin/status`, `/admin/doctor*`, `/admin/openapi.json`, `/admin/metrics`,
 * the agents' (approvals included), approvers' and webhooks' admin routes, and (when `DEMO_ENABLED`) the demo shop and its event feed. This
 * is the one place that mounts `/admin*` routes, behind admin auth applied once, ahead of all of them:
 * every `/admin*` request needs admin credentials unless it is on `PUBLIC_ADMIN_ROUTES` (auth/guard.ts).
 * Every failure is rendered here as a Response (this module's own `BollardError` never crosses into the
 * main module); the main module keeps the request id, the metrics and the `/admin*` security headers.
 */
export function createOperator(isolate: OperatorIsolate): Operator {
  const contexts = new WeakMap<Request, OperatorRequest & { route: string | null }>();
  const app = new Hono<AppEnv>();
  app.use('*', async function operatorContext(c, next) {
    const context = contexts.get(c.req.raw);
    if (context) {
      c.set('requestId', context.requestId);
      c.set('log', context.log);
    }
    await next();
    // A refusal by the guard names the route that would have answered (c.get('route')).
    const route = c.get('route') ?? routeOf(c);
    if (context && route !== 'unmatched') context.route = route;
  });
  app.onError(errorHandler);
  app.notFound(notFoundHandler);
  // Deny by default: before any route, so that none is mounted outside it.
  app.use('*', adminGuard());

  registerStorageProbe('agents', agentStorage);
  app.route('/', adminWebhookRoutes());
  app.route('/', createDemoApp());
  app.route('/', consoleRoutes());
  app.route('/', sessionRoutes());
  app.route('/', adminRoutes({ ...isolate, adminCredentials: adminCredentialStatus }));
  app.route('/', metricsRoutes({ aggregate: isolate.aggregate }));
  // Before the agents' /admin/audit* routes; each has its own admin auth.
  app.route('/', archiveAdminRoutes());
  mountAgentAdmin(app);
  app.route('/', approverRoutes());
  mountApprovalAdmin(app);

  return {
    routes: app.routes,
    async fetch(request, env, ctx, context) {
      const state = { ...context, route: null };
      contexts.set(request, state);
      const response = await app.fetch(request, env, ctx);
      return { response, route: state.route };
    },
  };
}
