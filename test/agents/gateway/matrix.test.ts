import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Grants } from '../../../src/agents/model/types';
import { AREAS, type Area, CATALOG, type CatalogEntry } from '../../../src/catalog';
import {
  ANY_SCOPE,
  auditFor,
  type CreatedAgent,
  createAgent,
  gateway,
  mcpClient,
  sampleCall,
} from '../helpers';

type Variant = 'none' | 'read' | 'write' | 'other';
const VARIANTS: readonly Variant[] = ['none', 'read', 'write', 'other'];

function otherArea(area: Area): Area {
  const i = AREAS.findIndex((a) => a.id === area);
  return (AREAS[(i + 1) % AREAS.length] as (typeof AREAS)[number]).id;
}

function grantsFor(variant: Variant, area: Area): Grants {
  if (variant === 'none') return {};
  if (variant === 'other') return { [otherArea(area)]: 'write' };
  return { [area]: variant };
}

/** The specification: write covers both; read covers reads only; nothing else is allowed. */
function expectedAllowed(variant: Variant, entry: CatalogEntry): boolean {
  return variant === 'write' || (variant === 'read' && entry.access === 'read');
}

// One agent per (area, variant) so each cell is attributable in the audit log.
const agents = new Map<string, CreatedAgent>();
const key = (variant: Variant, area: Area) => `${variant}:${area}`;

beforeAll(async () => {
  for (const area of AREAS)
    for (const variant of VARIANTS)
      agents.set(
        key(variant, area.id),
        // Scope `any`: this is the grant matrix (test/agents/gateway/scope.test.ts walks object scope).
        await createAgent(grantsFor(variant, area.id), { name: `${variant} ${area.id}`, scope: ANY_SCOPE }),
      );
}, 60_000);

function agentFor(variant: Variant, entry: CatalogEntry): CreatedAgent {
  const agent = agents.get(key(variant, entry.area));
  if (!agent) throw new Error('agent missing');
  return agent;
}

describe('grant matrix through /agent/v1: 32 methods x {no grant, read, write, other area}', {
  timeout: 60_000,
}, () => {
  it.each(CATALOG.map((e) => [e.name, e] as const))('%s', async (_name, entry) => {
    for (const variant of VARIANTS) {
      const agent = agentFor(variant, entry);
      const { path, body } = sampleCall(entry);
      const res = await gateway(agent.key, entry.method, path, body);
      const requestId = res.headers.get('cko-request-id');
      const json = (await res.json().catch(() => null)) as {
        error_type?: string;
        error_codes?: string[];
        message?: string;
      } | null;
      const records = (await auditFor(agent.id)).filter((r) => r.request_id === requestId);
      expect(records, `${variant}: one audit record`).toHaveLength(1);
      const [rec] = records;
      expect(rec).toMatchObject({
        entry: entry.name,
        path_template: entry.path,
        area: entry.area,
        method: entry.method,
      });
      if (expectedAllowed(variant, entry)) {
        expect(json?.error_type, `${variant} must be forwarded`).not.toBe('permission_denied');
        expect(rec?.decision).not.toBe('denied');
        expect(rec?.upstream_status).toBe(res.status);
      } else {
        expect(res.status, `${variant} must be refused`).toBe(403);
        expect(json).toMatchObject({ error_type: 'permission_denied', error_codes: ['grant_required'] });
        expect(json?.message).toContain(`${entry.access} grant on the ${entry.area} area`);
        expect(rec).toMatchObject({ decision: 'denied', reason: 'grant_required', upstream_status: null });
      }
    }
  });
});

describe('grant matrix through MCP: the same 128 cells with the SDK client', { timeout: 60_000 }, () => {
  const clients = new Map<string, Client>();
  afterAll(async () => {
    for (const c of clients.values()) await c.close();
  });

  async function clientFor(agent: CreatedAgent): Promise<Client> {
    let c = clients.get(agent.id);
    if (!c) {
      c = await mcpClient(agent.key);
      clients.set(agent.id, c);
    }
    return c;
  }

  it('lists exactly the tools each agent may call, with read-only/destructive annotations', async () => {
    for (const area of AREAS) {
      for (const variant of VARIANTS) {
        const agent = agents.get(key(variant, area.id)) as CreatedAgent;
        const { tools } = await (await clientFor(agent)).listTools();
        const names = tools.map((t) => t.name).sort();
        const grants = grantsFor(variant, area.id);
        const expected = CATALOG.filter(
          (e) => grants[e.area] === 'write' || (grants[e.area] === 'read' && e.access === 'read'),
        )
          .map((e) => e.name)
          .sort();
        expect(names, `${variant} ${area.id}`).toEqual(expected);
        for (const tool of tools) {
          const entry = CATALOG.find((e) => e.name === tool.name) as CatalogEntry;
          expect(tool.annotations?.readOnlyHint).toBe(entry.access === 'read');
          expect(tool.annotations?.destructiveHint).toBe(
            entry.access === 'write' && (entry.movesMoney || entry.method === 'DELETE'),
          );
          if (entry.path.includes('{id}')) expect(tool.inputSchema.required).toContain('id');
        }
      }
    }
  });

  it.each(CATALOG.map((e) => [e.name, e] as const))('%s', async (_name, entry) => {
    for (const variant of VARIANTS) {
      const agent = agentFor(variant, entry);
      const { body } = sampleCall(entry);
      const args: Record<string, unknown> = {};
      if (entry.path.includes('{id}'))
        args.id = entry.path.startsWith('/balances') ? 'ent_sample' : 'id_sample';
      if (body !== undefined) args.body = body;
      const before = (await auditFor(agent.id)).length;
      let refusedText = '';
      let allowedStatus: number | null = null;
      try {
        const result = await (await clientFor(agent)).callTool({ name: entry.name, arguments: args });
        const text = (result.content as Array<{ type: string; text: string }>)[0]?.text ?? '';
        if (text.startsWith('{')) {
          const parsed = JSON.parse(text) as { status: number; body: { error_type?: string } | null };
          if (parsed.body?.error_type === 'permission_denied') refusedText = text;
          else allowedStatus = parsed.status;
        } else refusedText = text;
      } catch (err) {
        refusedText = String(err);
      }
      const records = (await auditFor(agent.id)).slice(before);
      expect(records, `${variant}: one audit record`).toHaveLength(1);
      const [rec] = records;
      expect(rec).toMatchObject({ channel: 'mcp', entry: entry.name, area: entry.area });
      if (expectedAllowed(variant, entry)) {
        expect(allowedStatus, `${variant} must be forwarded: ${refusedText}`).not.toBeNull();
        expect(rec?.decision).not.toBe('denied');
        expect(rec?.upstream_status).toBe(allowedStatus);
      } else {
        expect(allowedStatus, `${variant} must be refused`).toBeNull();
        expect(refusedText).toMatch(/not found|grant_required/);
        expect(rec).toMatchObject({ decision: 'denied', reason: 'grant_required', upstream_status: null });
      }
    }
  });
});
