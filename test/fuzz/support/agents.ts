import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import type { AuditEntry } from '../../../src/agents/model/audit-entry';
import { CATALOG } from '../../../src/catalog';
import { RAW_NUMBERS, TEST_CARDS } from './arbitraries';
import type { AgentFixtures } from './bollard';

/** The request fields the gateway and the MCP tools read: likely keys for generated bodies. */
export const GATEWAY_FIELDS: readonly string[] = [
  'amount',
  'currency',
  'reference',
  'source',
  'type',
  'number',
  'token',
  'expiry_month',
  'expiry_year',
  'cvv',
  'capture',
  'customer',
  'email',
  'name',
  'destination',
  'id',
  'metadata',
  'items',
  'processing_channel_id',
  'transfer_type',
];

const amount = fc.constantFrom(...RAW_NUMBERS, '100', '500', '999');
const currency = fc.constantFrom('"EUR"', '"GBP"', '"eur"', '"EURO"', '""', 'null', '1');

/** Checkout.com-looking bodies (payments, refunds, customers, transfers), to get past the first checks. */
export const validGatewayBodies: fc.Arbitrary<string>[] = [
  fc
    .tuple(amount, currency, fc.constantFrom(...TEST_CARDS), fc.boolean())
    .map(
      ([a, c, card, capture]) =>
        `{"amount":${a},"currency":${c},"capture":${capture},"reference":"fuzz","source":{"type":"card","number":"${card}","expiry_month":12,"expiry_year":2030,"cvv":"100"}}`,
    ),
  fc.tuple(amount, currency).map(([a, c]) => `{"amount":${a},"currency":${c},"reference":"fuzz"}`),
  fc.constant('{"email":"fuzz@example.com","name":"Fuzz"}'),
  fc
    .tuple(amount, currency)
    .map(
      ([a, c]) =>
        `{"reference":"r","transfer_type":"commission","source":{"id":"ent_aaaaaaaaaaaaaaaaaaaaaaaaaa","amount":${a},"currency":${c}},"destination":{"id":"ent_bbbbbbbbbbbbbbbbbbbbbbbbbb"}}`,
    ),
];

/**
 * A method and a path under the gateway: a catalog method on its own path (with hostile ids), a catalog
 * path with any method, or a path the catalog does not have.
 */
export function gatewayTargetArb(segment: fc.Arbitrary<string>, method: fc.Arbitrary<string>) {
  const fill = (template: string, id: string) => template.replaceAll(/\{[^}]+\}/g, id);
  const templates = [...new Set(CATALOG.map((e) => e.path))];
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.constantFrom(...CATALOG), segment)
        .map(([e, id]) => ({ method: e.method, path: fill(e.path, id) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(method, fc.constantFrom(...templates), segment)
        .map(([m, t, id]) => ({ method: m, path: fill(t, id) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          method,
          fc.oneof(
            fc.constantFrom(
              '',
              '/',
              '/forex/quotes',
              '/payments/',
              '/payments//refunds',
              '/_sim/stats',
              '/..%2F..%2Fadmin%2Fagents',
              '/payments/pay_x/unknown',
              '/PAYMENTS',
              '/connect/token',
              '/tokens',
              // Bollard's own route beside the catalog's: an agent's approval status.
              '/approvals/apr_x',
              `/approvals/apr_${'a'.repeat(26)}_${'b'.repeat(16)}`,
              '/approvals/',
            ),
            fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
          ),
        )
        .map(([m, path]) => ({ method: m, path })),
    },
  );
}

/**
 * An `Authorization` header for the agent surfaces: mostly a working key in an accepted spelling (so that
 * requests get past authentication), else any fixture key in any spelling, or a broken header.
 */
export function agentAuthArb(
  fixtures: AgentFixtures,
  variants: (k: string) => string[],
  broken: readonly (string | null)[],
) {
  const working = [fixtures.reader.key, fixtures.writer.key, fixtures.limited.key, fixtures.ungranted.key];
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...working), fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', ''))
        .map(([k, scheme]) => `${scheme}${k}`),
    },
    { weight: 2, arbitrary: fc.constantFrom(...fixtures.keys).chain((k) => fc.constantFrom(...variants(k))) },
    { weight: 1, arbitrary: fc.constantFrom(...broken) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'Bearer bollard_admin_dev',
        `Bearer bak_${'a'.repeat(40)}`,
        'Bearer sk_sbox_devsecretkeyfullaccessaaaaq',
        `Bearer ${fixtures.writer.key.toUpperCase()}`,
      ),
    },
  );
}

/** `Cko-Idempotency-Key`: absent, good, reused, empty, too long, not ASCII. */
export const idempotencyKeyArb: fc.Arbitrary<string | null> = fc.constantFrom(
  null,
  null,
  null,
  'fuzz-key-1',
  'fuzz-key-1',
  '',
  ' ',
  'k'.repeat(256),
  'key with spaces',
  '"quoted"',
  'é',
);

/** Each fixture chain's head, so that what one request appended can be read back exactly. */
export async function chainHeads(chains: readonly string[]): Promise<Map<string, number>> {
  const heads = await Promise.all(
    chains.map(async (c) => [c, (await env.AGENT.getByName(c).head()).seq] as const),
  );
  return new Map(heads);
}

/** Every entry appended to the fixture chains since `heads`. */
export async function appendedSince(heads: Map<string, number>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (const [chain, seq] of heads) out.push(...(await env.AGENT.getByName(chain).entries(seq, 100)));
  return out;
}

/** The limited agent's spend today, as its object counts it. */
export function spentToday(agentId: string): Promise<Record<string, number>> {
  return env.AGENT.getByName(agentId).spentToday(agentId);
}

/**
 * What a refusal may write in the agents' audit, precisely: nothing but denials — at most one `call`
 * entry, for this request, in one chain (the named agent's, or `anonymous`) — and never a `start` or an
 * `outcome` (which would mean the call was allowed and sent). Calls refused for their key may instead be
 * counted in an `attempts` entry (one per source and minute, carrying the first attempt's request id).
 */
export function refusalAuditViolations(entries: readonly AuditEntry[], requestId: string | null): string[] {
  const out: string[] = [];
  const calls = entries.filter((e) => e.kind !== 'attempts');
  if (calls.length > 1) out.push(`a refusal appended ${calls.length} audit entries`);
  for (const e of entries) {
    if ((e.kind !== 'call' && e.kind !== 'attempts') || e.decision !== 'denied')
      out.push(`a refusal appended a ${e.kind}/${e.decision} entry (${e.reason ?? ''})`);
    if (e.kind !== 'attempts' && e.request_id !== requestId)
      out.push(`an audit entry for another request (${e.request_id})`);
  }
  return out;
}

/** Entries appended for other requests than this one (counted `attempts` aside): there must be none. */
export function strayEntries(entries: readonly AuditEntry[], requestId: string | null): AuditEntry[] {
  return entries.filter((e) => e.kind !== 'attempts' && e.request_id !== requestId);
}
