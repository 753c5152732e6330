import type { Context, Hono } from 'hono';
import { AREAS } from '../catalog';
import { type AppEnv, BollardError } from '../http';
import { adminAuth } from '../http/admin-auth';
import { parseCreateAgent, parsePatchAgent } from './admin-input';
import type { AuditFilter } from './audit-do';
import { auditLog } from './audit-writer';
import { enumParam, paging, timeParam } from './query-params';
import { agentRegistry } from './registry';

const NDJSON = 'application/x-ndjson';
/** Records per Durable Object round trip while streaming an export. */
const EXPORT_CHUNK = 500;

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (err) {
    throw new BollardError('request_malformed', {
      codes: ['body_invalid'],
      message: 'the body must be JSON',
      cause: err,
    });
  }
}

function agentNotFound(): BollardError {
  return new BollardError('not_found', { codes: ['agent_not_found'], message: 'no agent has this id' });
}

function auditFilter(url: URL): AuditFilter {
  const filter: AuditFilter = {};
  const agent = url.searchParams.get('agent') ?? url.searchParams.get('agent_id');
  if (agent) filter.agent_id = agent;
  const from = timeParam(url, 'from');
  if (from !== undefined) filter.from_ms = from;
  const to = timeParam(url, 'to');
  if (to !== undefined) filter.to_ms = to;
  const decision = enumParam(url, 'decision', ['allowed', 'denied', 'failed'] as const);
  if (decision) filter.decision = decision;
  const area = enumParam(
    url,
    'area',
    AREAS.map((a) => a.id),
  );
  if (area) filter.area = area;
  return filter;
}

/** Streams every matching record as one JSON object per line, paging through the log by sequence. */
function exportNdjson(env: Env, filter: AuditFilter): Response {
  const encoder = new TextEncoder();
  let after = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const page = await auditLog(env).query({ ...filter, after_seq: after }, EXPORT_CHUNK, 0);
      if (page.data.length === 0) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(page.data.map((r) => `${JSON.stringify(r)}\n`).join('')));
      after = page.data[page.data.length - 1]?.seq ?? after;
      if (page.data.length < EXPORT_CHUNK) controller.close();
    },
  });
  return new Response(stream, { headers: { 'content-type': `${NDJSON}; charset=utf-8` } });
}

/**
 * Operator routes (admin token): agents and grants, key rotation, revocation, and the audit log
 * (query, NDJSON export, chain verification).
 */
export function mountAgentAdmin(app: Hono<AppEnv>): void {
  for (const path of ['/admin/agents', '/admin/agents/*', '/admin/audit', '/admin/audit/*'])
    app.use(path, adminAuth());

  app.post('/admin/agents', async (c) => {
    const input = parseCreateAgent(await jsonBody(c));
    const issued = await agentRegistry(c.env).create(input, Date.now());
    // The key is in this answer and nowhere else, ever: only its SHA-256 is stored.
    return c.json({ ...issued.agent, key: issued.key }, 201, { 'cache-control': 'no-store' });
  });

  app.get('/admin/agents', async (c) => {
    const { limit, skip } = paging(new URL(c.req.url));
    return c.json(await agentRegistry(c.env).list({ limit, skip }, Date.now()));
  });

  app.get('/admin/agents/upstream-scopes', async (c) =>
    c.json({ scopes: await agentRegistry(c.env).upstreamScopes(Date.now()) }),
  );

  app.get('/admin/agents/:id', async (c) => {
    const registry = agentRegistry(c.env);
    const now = Date.now();
    const agent = await registry.get(c.req.param('id'), now);
    if (!agent) throw agentNotFound();
    return c.json({ ...agent, spent_today: await registry.spentToday(agent.id, now) });
  });

  app.patch('/admin/agents/:id', async (c) => {
    const patch = parsePatchAgent(await jsonBody(c));
    const agent = await agentRegistry(c.env).update(c.req.param('id'), patch, Date.now());
    if (!agent) throw agentNotFound();
    return c.json(agent);
  });

  app.post('/admin/agents/:id/rotate', async (c) => {
    const issued = await agentRegistry(c.env).rotate(c.req.param('id'), Date.now());
    if (issued === null) throw agentNotFound();
    if (issued === 'revoked')
      throw new BollardError('conflict', {
        codes: ['agent_revoked'],
        message: 'a revoked agent cannot get a new key',
      });
    return c.json({ ...issued.agent, key: issued.key }, 200, { 'cache-control': 'no-store' });
  });

  const revoke = async (c: Context<AppEnv>) => {
    const agent = await agentRegistry(c.env).revoke(c.req.param('id') ?? '', Date.now());
    if (!agent) throw agentNotFound();
    return c.json(agent);
  };
  app.delete('/admin/agents/:id', revoke);
  app.post('/admin/agents/:id/revoke', revoke);

  app.get('/admin/audit/verify', async (c) => c.json(await auditLog(c.env).verify()));

  app.get('/admin/audit/export', (c) => exportNdjson(c.env, auditFilter(new URL(c.req.url))));

  app.get('/admin/audit', async (c) => {
    const url = new URL(c.req.url);
    const filter = auditFilter(url);
    if ((c.req.header('accept') ?? '').includes(NDJSON)) return exportNdjson(c.env, filter);
    const { limit, skip } = paging(url);
    return c.json(await auditLog(c.env).query(filter, limit, skip));
  });
}
