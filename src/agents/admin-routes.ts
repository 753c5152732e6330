import type { Context, Hono } from 'hono';
import { AREAS } from '../catalog';
import { type AppEnv, BollardError } from '../http';
import { adminAuth } from '../http/admin-auth';
import { parseCreateAgent, parsePatchAgent } from './admin-input';
import type { IssuedAgent } from './agent-do';
import type { AuditFilter } from './audit-calls';
import { ANONYMOUS_CHAIN, type AuditEntry } from './audit-entry';
import { verifyAll } from './audit-verify';
import { agentObject } from './audit-writer';
import { withObjectDeadline } from './deadlines';
import { isAgentId, newAgentId } from './keys';
import { enumParam, paging, timeParam } from './query-params';
import { agentDirectory, agentUpstreamScopes } from './registry';

const NDJSON = 'application/x-ndjson';
/** Entries per Durable Object round trip while streaming an export. */
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

/** The object of an agent id from the path; an id that cannot be an agent's is a 404 with no round trip. */
function agentFromPath(c: Context<AppEnv>) {
  const id = c.req.param('id') ?? '';
  if (!isAgentId(id)) throw agentNotFound();
  return agentObject(c.env, id);
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

/**
 * The chain an `agent=` filter names: an agent id, or `anonymous` (calls no agent could be named for);
 * `invalid` for anything else (no such chain: an empty answer, no round trip).
 */
function chainOf(filter: AuditFilter): string | null | 'invalid' {
  const id = filter.agent_id;
  if (id === undefined) return null;
  return isAgentId(id) || id === ANONYMOUS_CHAIN ? id : 'invalid';
}

/** Inside one chain's object every call is that chain's: the agent filter is the routing itself. */
function withinChain(filter: AuditFilter): AuditFilter {
  const { agent_id: _chain, ...rest } = filter;
  return rest;
}

function entryMatches(e: AuditEntry, f: AuditFilter): boolean {
  return (
    (f.from_ms === undefined || e.at_ms >= f.from_ms) &&
    (f.to_ms === undefined || e.at_ms < f.to_ms) &&
    (f.decision === undefined || e.decision === f.decision) &&
    (f.area === undefined || e.area === f.area)
  );
}

/**
 * Streams chain entries (both `call`/`start` and `outcome`), one JSON object per line: one agent's chain
 * from its own object (`agent=`, complete to the last entry), else every chain from the global index
 * (up to what was forwarded). Filters apply to each entry's own fields. An unfiltered export is what
 * `docs/verify-audit.mjs` re-verifies offline.
 */
function exportNdjson(env: Env, filter: AuditFilter): Response {
  const encoder = new TextEncoder();
  const chain = chainOf(filter);
  let after = 0;
  let done = false;
  const next = async (): Promise<AuditEntry[]> => {
    if (chain === 'invalid') {
      done = true;
      return [];
    }
    if (chain !== null) {
      const entries = await withObjectDeadline(
        agentObject(env, chain).entries(after, EXPORT_CHUNK),
        'an agent chain',
      );
      after = entries.at(-1)?.seq ?? after;
      done = entries.length < EXPORT_CHUNK;
      return entries.filter((e) => entryMatches(e, filter));
    }
    const page = await withObjectDeadline(
      env.AUDIT_INDEX.getByName('global').exportPage(filter, after, EXPORT_CHUNK),
      'the audit index',
    );
    after = page.last;
    done = page.entries.length < EXPORT_CHUNK;
    return page.entries;
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const entries = await next();
      if (entries.length)
        controller.enqueue(encoder.encode(entries.map((e) => `${JSON.stringify(e)}\n`).join('')));
      if (done) controller.close();
    },
  });
  return new Response(stream, { headers: { 'content-type': `${NDJSON}; charset=utf-8` } });
}

/**
 * Operator routes (admin token): agents and grants, key rotation, revocation, and the audit log
 * (query, NDJSON export, chain verification). Each agent route is one round trip to that agent's object;
 * the listing reads the directory; audit queries without `agent=` read the global index.
 */
export function mountAgentAdmin(app: Hono<AppEnv>): void {
  for (const path of ['/admin/agents', '/admin/agents/*', '/admin/audit', '/admin/audit/*'])
    app.use(path, adminAuth());

  app.post('/admin/agents', async (c) => {
    const input = parseCreateAgent(await jsonBody(c));
    const id = newAgentId();
    const issued = await withObjectDeadline(
      agentObject(c.env, id).create(id, input, Date.now()),
      'the new agent',
    );
    // The key is in this answer and nowhere else, ever: only its SHA-256 is stored.
    return c.json({ ...issued.agent, key: issued.key }, 201, { 'cache-control': 'no-store' });
  });

  app.get('/admin/agents', async (c) => {
    const { limit, skip } = paging(new URL(c.req.url));
    return c.json(
      await withObjectDeadline(
        agentDirectory(c.env).list({ limit, skip }, Date.now()),
        'the agent directory',
      ),
    );
  });

  app.get('/admin/agents/upstream-scopes', async (c) => c.json({ scopes: await agentUpstreamScopes(c.env) }));

  app.get('/admin/agents/:id', async (c) => {
    const found = await withObjectDeadline(agentFromPath(c).get(Date.now()), 'the agent');
    if (!found) throw agentNotFound();
    return c.json({ ...found.agent, spent_today: found.spent_today });
  });

  app.patch('/admin/agents/:id', async (c) => {
    const patch = parsePatchAgent(await jsonBody(c));
    const agent = await withObjectDeadline(agentFromPath(c).update(patch, Date.now()), 'the agent');
    if (!agent) throw agentNotFound();
    return c.json(agent);
  });

  app.post('/admin/agents/:id/rotate', async (c) => {
    const issued = await withObjectDeadline<IssuedAgent | null | 'revoked'>(
      agentFromPath(c).rotate(Date.now()),
      'the agent',
    );
    if (issued === null) throw agentNotFound();
    if (issued === 'revoked')
      throw new BollardError('conflict', {
        codes: ['agent_revoked'],
        message: 'a revoked agent cannot get a new key',
      });
    return c.json({ ...issued.agent, key: issued.key }, 200, { 'cache-control': 'no-store' });
  });

  const revoke = async (c: Context<AppEnv>) => {
    const agent = await withObjectDeadline(agentFromPath(c).revoke(Date.now()), 'the agent');
    if (!agent) throw agentNotFound();
    return c.json(agent);
  };
  app.delete('/admin/agents/:id', revoke);
  app.post('/admin/agents/:id/revoke', revoke);

  app.get('/admin/audit/verify', async (c) => {
    const url = new URL(c.req.url);
    const agent = url.searchParams.get('agent') ?? url.searchParams.get('agent_id');
    if (agent) {
      if (!isAgentId(agent) && agent !== ANONYMOUS_CHAIN) throw agentNotFound();
      // One chain, from its genesis to its last entry, in its own object.
      const stub = agentObject(c.env, agent);
      const r = await withObjectDeadline(stub.verify(), 'an agent chain');
      return c.json({
        valid: r.valid,
        chain: agent,
        count: r.checked,
        head: { seq: r.head_seq, hash: r.head_hash },
        first_invalid_seq: r.first_invalid_seq,
      });
    }
    const full = ['1', 'true'].includes(url.searchParams.get('full') ?? '');
    return c.json(await verifyAll(c.env, full));
  });

  app.get('/admin/audit/export', (c) => exportNdjson(c.env, auditFilter(new URL(c.req.url))));

  app.get('/admin/audit', async (c) => {
    const url = new URL(c.req.url);
    const filter = auditFilter(url);
    if ((c.req.header('accept') ?? '').includes(NDJSON)) return exportNdjson(c.env, filter);
    const { limit, skip } = paging(url);
    const chain = chainOf(filter);
    if (chain === 'invalid') return c.json({ total_count: 0, limit, skip, data: [] });
    // One agent: its own object, complete to its last call. Everything: the index, without fan-out.
    const page =
      chain !== null
        ? await withObjectDeadline(
            agentObject(c.env, chain).query(withinChain(filter), limit, skip),
            'an agent chain',
          )
        : await withObjectDeadline(
            c.env.AUDIT_INDEX.getByName('global').query(filter, limit, skip),
            'the audit index',
          );
    return c.json(page);
  });
}
