import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { AppEnv } from '../../src/http';
import { isPublicAdminRoute, PUBLIC_ADMIN_ROUTES } from '../../src/operator/auth/guard';
import { loadOperator } from '../../src/operator/routes';

const BASE = 'http://127.0.0.1:8787';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface Route {
  method: string;
  path: string;
}

/** A concrete path a route template matches: each `:param` (with or without a pattern) and `*` filled in. */
function concrete(template: string): string {
  return template.replace(/:[A-Za-z_][A-Za-z0-9_]*(\{[^}]*\})?\??/g, 'probe').replaceAll('*', 'probe');
}

/**
 * Every `/admin*` route registered in the main app and in the operator module, as requests without any
 * credential (a route registered for every method, `ALL`, is tried with each), minus the public list.
 */
function probesOf(routes: readonly Route[]): Array<{ method: string; path: string; route: string }> {
  const probes = new Map<string, { method: string; path: string; route: string }>();
  for (const r of routes) {
    if (!r.path.startsWith('/admin')) continue;
    const path = concrete(r.path);
    const methods = r.method === 'ALL' ? METHODS : r.method === 'GET' ? ['GET', 'HEAD'] : [r.method];
    for (const method of methods) {
      if (isPublicAdminRoute(method, path)) continue;
      probes.set(`${method} ${path}`, { method, path, route: `${r.method} ${r.path}` });
    }
  }
  return [...probes.values()];
}

/** The probes not answered 401 in the one error shape: each is an `/admin*` route anyone can call. */
async function unguarded(
  routes: readonly Route[],
  fetch: (request: Request) => Promise<Response>,
): Promise<{ probed: number; open: string[] }> {
  const probes = probesOf(routes);
  const open: string[] = [];
  for (const p of probes) {
    const res = await fetch(new Request(`${BASE}${p.path}`, { method: p.method }));
    const body =
      p.method === 'HEAD' ? null : ((await res.json().catch(() => null)) as Record<string, unknown> | null);
    const shaped =
      body === null ||
      (typeof body.request_id === 'string' &&
        body.error_type === 'unauthorized' &&
        Array.isArray(body.error_codes));
    if (res.status !== 401 || !shaped) open.push(`${p.method} ${p.path} (route ${p.route}) → ${res.status}`);
  }
  return { probed: probes.length, open };
}

function fetchOf(app: Hono<AppEnv>) {
  return async (request: Request) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

describe('/admin*: deny by default', () => {
  it('the public list is this short one, and each entry is a route the operator module serves once', async () => {
    expect(PUBLIC_ADMIN_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /admin',
      'GET /admin/',
      'GET /admin/console/:file',
      'GET /admin/session',
      'POST /admin/session',
      'DELETE /admin/session',
    ]);
    const served = (await loadOperator()).routes;
    for (const r of PUBLIC_ADMIN_ROUTES)
      expect(served.filter((s) => s.method === r.method && s.path === r.path).length, r.path).toBe(1);
  });

  it('every other /admin* route of the app answers 401 without credentials', async () => {
    const app = createApp();
    const operator = await loadOperator();
    const { probed, open } = await unguarded([...app.routes, ...operator.routes], fetchOf(app));
    // Agents, audit, events, payments, disputes, dead letters, quarantine, status, doctor, metrics, OpenAPI.
    expect(probed).toBeGreaterThan(40);
    expect(open).toEqual([]);
  });

  it('would catch a route mounted outside the operator module', async () => {
    const leaky = new Hono<AppEnv>();
    leaky.get('/admin/leak', (c) => c.json({ agents: [] }));
    leaky.route('/', createApp());
    const { open } = await unguarded([...leaky.routes, ...(await loadOperator()).routes], fetchOf(leaky));
    expect(open).toEqual([
      'GET /admin/leak (route GET /admin/leak) → 200',
      'HEAD /admin/leak (route GET /admin/leak) → 200',
    ]);
  });

  it('a path no route serves needs credentials too (401, not 404), and the public ones need none', async () => {
    const call = fetchOf(createApp());
    expect((await call(new Request(`${BASE}/admin/no-such-route`))).status).toBe(401);
    // Spelled with escapes, a route is still the route it decodes to.
    expect((await call(new Request(`${BASE}/%61dmin/agents`))).status).toBe(401);
    expect((await call(new Request(`${BASE}/admin/%61gents`))).status).toBe(401);
    expect((await call(new Request(`${BASE}/admin`))).status).toBe(200);
    expect((await call(new Request(`${BASE}/admin/`))).status).toBe(308);
    expect((await call(new Request(`${BASE}/admin/console/app.js`))).status).toBe(200);
    const probe = await call(new Request(`${BASE}/admin/session`));
    expect(await probe.json()).toMatchObject({ signed_in: false });
    const signOut = await call(
      new Request(`${BASE}/admin/session`, { method: 'DELETE', headers: { origin: BASE } }),
    );
    expect(signOut.status).toBe(200);
  });
});
