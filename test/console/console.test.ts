import { describe, expect, it } from 'vitest';
import { loadOperator } from '../../src/operator/routes';
import { ADMIN_TOKEN, call, LOOPBACK, signIn } from './helpers';

const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the console page', () => {
  it('is served with a CSP that allows no inline script or style, and has none', async () => {
    const res = await call(`${LOOPBACK}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    for (const tag of html.match(/<script[^>]*>/g) ?? [])
      expect(tag).toMatch(/ src="\/admin\/console\/[a-z]+\.js"/);
    expect(html).not.toMatch(/<script[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/ style=|<style|\son[a-z]+=/i);
  });

  it('serves its scripts and stylesheet, and 404s anything else', async () => {
    for (const file of [
      'app.js',
      'lib.js',
      'agents.js',
      'approvals.js',
      'approvers.js',
      'passkeys.js',
      'audit.js',
      'events.js',
      'health.js',
    ]) {
      const res = await call(`${LOOPBACK}/admin/console/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const js = await res.text();
      expect(js).not.toContain('eval(');
      expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
    expect((await call(`${LOOPBACK}/admin/console/console.css`)).headers.get('content-type')).toMatch(
      /^text\/css/,
    );
    expect((await call(`${LOOPBACK}/admin/console/nope.js`)).status).toBe(404);
  });

  it('puts the security headers on admin API answers and errors too', async () => {
    const res = await call(`${LOOPBACK}/admin/agents`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('GET /admin/openapi.json', () => {
  it('needs admin auth and describes every /admin route the Worker serves', async () => {
    expect((await call(`${LOOPBACK}/admin/openapi.json`)).status).toBe(401);
    const res = await call(`${LOOPBACK}/admin/openapi.json`, { headers: BEARER });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const served = new Set<string>();
    // The /admin routes are the lazily loaded operator module's (src/operator); the main app dispatches to it.
    for (const r of (await loadOperator()).routes) {
      if (!r.path.startsWith('/admin') || r.method === 'ALL' || r.path.endsWith('*') || r.path === '/admin/')
        continue;
      served.add(`${r.method.toLowerCase()} ${r.path.replace(/:([a-z_]+)/gi, '{$1}')}`);
    }
    expect(served.size).toBeGreaterThan(20);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    for (const route of served) expect(documented.has(route), route).toBe(true);
  });

  it('works with a console session too', async () => {
    const { cookie } = await signIn();
    expect((await call(`${LOOPBACK}/admin/openapi.json`, { headers: { cookie } })).status).toBe(200);
  });
});

describe('GET /admin/status: what the health page shows', () => {
  it('adds upstream error rates and the last webhook, and no secret', async () => {
    const res = await call(`${LOOPBACK}/admin/status`, { headers: BEARER });
    const text = await res.text();
    expect(text).not.toContain(ADMIN_TOKEN);
    const body = JSON.parse(text);
    expect(body.upstream.this_isolate_calls).toMatchObject({
      window_s: 300,
      total: expect.any(Number),
      by_outcome: {
        ok: expect.any(Number),
        server_error: expect.any(Number),
        network_error: expect.any(Number),
      },
    });
    expect(body.webhooks).toHaveProperty('last_received');
    expect(body.governor.read).toHaveProperty('configuredPerSecond');
    expect(body.this_isolate_gate).toHaveProperty('shed');
  });
});
