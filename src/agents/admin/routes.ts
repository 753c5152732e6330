import type { Context, Hono } from 'hono';
import { AREAS } from '../../catalog';
import { type AppEnv, BollardError, readJsonBody } from '../../http';
import { ANONYMOUS_CHAIN, type AuditEntry } from '../model/audit-entry';
import { withObjectDeadline } from '../model/deadlines';
import { isAgentId, newAgentId } from '../model/keys';
import { enumParam, paging, timeParam } from '../model/query-params';
import type { IssuedAgent } from '../objects/agent/rpc';
import type { AuditFilter } from '../objects/audit-calls';
import type { ChainAnchor } from '../objects/audit-index';
import { agentDirectory, agentObject, auditIndex } from '../objects/stubs';
import { verifyAll } from './audit-verify';
import { parseCreateAgent, parsePatchAgent } from './input';
import { parseRevokeOptions, voidOpenAuthorizations } from './revoke-voids';
import { agentUpstreamScopes } from './upstream-scopes';

const NDJSON = 'application/x-ndjson';
/** Entries per Durable Object round trip while streaming an export. */
const EXPORT_CHUNK = 500;

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

/** An export line saying where a pruned chain now starts (not a chain entry: it has no `prev_hash`). */
interface CheckpointLine {
  kind: 'checkpoint';
  chain: string;
  /** The last pruned entry: the chain's next entry links to `hash`. */
  seq: number;
  hash: string;
  /** Entries pruned (equal to `seq`). */
  count: number;
  at: string;
  at_ms: number;
  pruned_at: string;
}

function checkpointLine(chain: string, a: Omit<ChainAnchor, 'chain'>): CheckpointLine {
  return {
    kind: 'checkpoint',
    chain,
    seq: a.seq,
    hash: a.hash,
    count: a.count,
    at: new Date(a.at_ms).toISOString(),
    at_ms: a.at_ms,
    pruned_at: new Date(a.pruned_at).toISOString(),
  };
}

function unfiltered(f: AuditFilter): boolean {
  return f.from_ms === undefined && f.to_ms === undefined && f.decision === undefined && f.area === undefined;
}

/**
 * Streams chain entries (`call`, `start`, `outcome`, `attempts`), one JSON object per line: one agent's
 * chain from its own object (`agent=`, complete to the last entry), else every chain from the global index
 * (up to what was forwarded). Filters apply to each entry's own fields. An unfiltered export ends with a
 * `checkpoint` line per chain whose oldest entries were pruned (read after the entries, so it is never
 * behind them); it is what `docs/verify-audit.mjs` re-verifies offline.
 */
function exportNdjson(env: Env, filter: AuditFilter): Response {
  const encoder = new TextEncoder();
  const chain = chainOf(filter);
  const index = auditIndex(env);
  let after = 0;
  let phase: 'entries' | 'checkpoints' | 'done' = chain === 'invalid' ? 'done' : 'entries';
  let afterChain = '';
  const entries = async (): Promise<unknown[]> => {
    if (chain === 'invalid') return [];
    if (chain !== null) {
      const page = await withObjectDeadline(
        agentObject(env, chain).entries(after, EXPORT_CHUNK),
        'an agent chain',
      );
      after = page.at(-1)?.seq ?? after;
      if (page.length < EXPORT_CHUNK) phase = 'checkpoints';
      return page.filter((e) => entryMatches(e, filter));
    }
    const page = await withObjectDeadline(index.exportPage(filter, after, EXPORT_CHUNK), 'the audit index');
    after = page.last;
    if (page.entries.length < EXPORT_CHUNK) phase = 'checkpoints';
    return page.entries;
  };
  const checkpoints = async (): Promise<unknown[]> => {
    if (!unfiltered(filter) || chain === 'invalid') {
      phase = 'done';
      return [];
    }
    if (chain !== null) {
      phase = 'done';
      const anchor = await withObjectDeadline(agentObject(env, chain).prunedThrough(), 'an agent chain');
      return anchor ? [checkpointLine(chain, anchor)] : [];
    }
    const anchors = await withObjectDeadline(index.anchors(afterChain, EXPORT_CHUNK), 'the audit index');
    afterChain = anchors.at(-1)?.chain ?? afterChain;
    if (anchors.length < EXPORT_CHUNK) phase = 'done';
    return anchors.map((a) => checkpointLine(a.chain, a));
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const lines =
        phase === 'entries' ? await entries() : phase === 'checkpoints' ? await checkpoints() : [];
      if (lines.length)
        controller.enqueue(encoder.encode(lines.map((l) => `${JSON.stringify(l)}\n`).join('')));
      if (phase === 'done') controller.close();
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
  app.post('/admin/agents', async (c) => {
    const input = parseCreateAgent(await readJsonBody(c));
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
    // `spent`: every budget window and the last hour's money-moving calls; `objects`: what it owns (issue 18).
    return c.json({
      ...found.agent,
      spent_today: found.spent_today,
      spent: found.spent,
      objects: found.objects,
    });
  });

  app.patch('/admin/agents/:id', async (c) => {
    const patch = parsePatchAgent(await readJsonBody(c));
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
    // Revoke and roll back (issue 18): optionally void the agent's own open authorisations, after the
    // revocation (so it cannot make new ones meanwhile); the answer lists what was voided and what was not.
    const voids = parseRevokeOptions(
      c.req.method === 'POST' ? await c.req.text() : '',
      c.req.query('void_open_authorizations'),
    );
    const agent = await withObjectDeadline(agentFromPath(c).revoke(Date.now()), 'the agent');
    if (!agent) throw agentNotFound();
    if (!voids) return c.json(agent);
    return c.json({ ...agent, voids: await voidOpenAuthorizations(c.env, agent.id, c.get('requestId')) });
  };
  app.delete('/admin/agents/:id', revoke);
  app.post('/admin/agents/:id/revoke', revoke);

  app.get('/admin/audit/verify', async (c) => {
    const url = new URL(c.req.url);
    const agent = url.searchParams.get('agent') ?? url.searchParams.get('agent_id');
    if (agent) {
      if (!isAgentId(agent) && agent !== ANONYMOUS_CHAIN) throw agentNotFound();
      // One chain, from its genesis (or the anchor its pruned prefix left) to its last entry, in its own object.
      const stub = agentObject(c.env, agent);
      const r = await withObjectDeadline(stub.verify(), 'an agent chain');
      const pruned = r.pruned_through;
      return c.json({
        valid: r.valid,
        chain: agent,
        count: r.checked,
        head: { seq: r.head_seq, hash: r.head_hash },
        first_invalid_seq: r.first_invalid_seq,
        from_genesis: pruned === null,
        pruned_through: pruned && { seq: pruned.seq, hash: pruned.hash, count: pruned.count },
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
        : await withObjectDeadline(auditIndex(c.env).query(filter, limit, skip), 'the audit index');
    return c.json(page);
  });
}
