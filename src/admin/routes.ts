import { Hono } from 'hono';
import { BollardError } from '../http';
import type { AppEnv } from '../http/hono-env';
import { adminClient, runDoctor } from './doctor/run';
import { sendTestEvent } from './doctor/test-event';
import { fail } from './doctor/types';
import { type IsolateCounters, readStatus } from './status';

/** The public URL to check: `?url=` / `{ url }` from the CLI, else the origin this request came in on. */
function publicUrlOf(given: unknown, requestUrl: string): string {
  const raw = typeof given === 'string' && given !== '' ? given : new URL(requestUrl).origin;
  try {
    const u = new URL(raw);
    if (u.protocol === 'https:' || u.protocol === 'http:')
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    // fall through
  }
  throw new BollardError('request_invalid', {
    codes: ['url_invalid'],
    message: 'url must be Bollard’s absolute http(s) public URL',
  });
}

/**
 * Operator routes that span areas (admin credentials, applied where src/operator mounts them):
 * - `GET /admin/openapi.json`: the OpenAPI 3.1 description of `/admin/*` (openapi.ts).
 * - `GET /admin/status`: the effective auth mode, each surface's OAuth token state (never the token), the
 *   enabled surfaces, upstream deadlines, and the rate governor's budgets, leases and shed counts.
 * - `GET /admin/doctor?url=<public url>`: the configuration checks that need Bollard's secrets, each as
 *   `{ check, ok, detail, fix }` (`npx bollard doctor` renders them).
 * - `POST /admin/doctor/webhook-test { url }`: sends a signed test event through the workflow that delivers
 *   to `url` (the API's `POST /workflows/{id}/test`) and waits for it in the inbox.
 *
 * `isolate`: this isolate's counters for the status (the main module's, when served by src/operator).
 */
export function adminRoutes(isolate?: IsolateCounters): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/admin/status', async (c) => c.json(await readStatus(c.env, isolate)));
  // Generated ahead of time (openapi.ts → openapi-document.ts); loaded on first request only.
  app.get('/admin/openapi.json', async (c) => {
    const { ADMIN_OPENAPI_JSON } = await import('./openapi-document');
    return c.body(ADMIN_OPENAPI_JSON, 200, { 'content-type': 'application/json' });
  });
  app.get('/admin/doctor', async (c) =>
    c.json(await runDoctor(c.env, publicUrlOf(c.req.query('url'), c.req.url))),
  );
  app.post('/admin/doctor/webhook-test', async (c) => {
    const body: unknown = await c.req.json().catch(() => ({}));
    const given = typeof body === 'object' && body !== null ? (body as { url?: unknown }).url : undefined;
    const publicUrl = publicUrlOf(given, c.req.url);
    const client = adminClient(c.env);
    if (typeof client === 'string') {
      return c.json({
        unsupported: false,
        workflow_id: null,
        check: fail('webhook_test_event', `cannot call the API (${client})`, 'fix the secrets check first'),
      });
    }
    return c.json(await sendTestEvent(c.env, client, publicUrl));
  });
  return app;
}
