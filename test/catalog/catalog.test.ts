import { describe, expect, it } from 'vitest';
import {
  AREAS,
  CATALOG,
  EVENTS,
  fillPath,
  listEntries,
  matchRequest,
  methodsForPath,
  minimalScopes,
  scopeCovers,
} from '../../src/catalog';

describe('catalog rows', () => {
  it('has the 32 methods of the guide', () => {
    expect(CATALOG).toHaveLength(32);
    expect(new Set(CATALOG.map((e) => `${e.method} ${e.path}`)).size).toBe(32);
    expect(new Set(CATALOG.map((e) => e.name)).size).toBe(32);
  });

  it('counts per area match the guide (8, 3, 4, 4, 5, 3, 5)', () => {
    const counts = AREAS.map((a) => CATALOG.filter((e) => e.area === a.id).length);
    expect(counts).toEqual([8, 3, 4, 4, 5, 3, 5]);
  });

  // Every row as the guide gives it: method, path, access, permission, event.
  const GUIDE: Array<[string, string, 'read' | 'write', string, string | null]> = [
    ['POST', '/payments', 'write', 'gateway:payment', 'payment_approved'],
    ['GET', '/payments', 'read', 'gateway:payment-details', null],
    ['GET', '/payments/{id}', 'read', 'gateway:payment-details', null],
    ['GET', '/payments/{id}/actions', 'read', 'gateway:payment-details', null],
    ['POST', '/payments/{id}/captures', 'write', 'gateway:payment-captures', 'payment_captured'],
    ['POST', '/payments/{id}/refunds', 'write', 'gateway:payment-refunds', 'payment_refunded'],
    ['POST', '/payments/{id}/voids', 'write', 'gateway:payment-voids', 'payment_voided'],
    ['POST', '/payments/{id}/authorizations', 'write', 'gateway:payment-authorizations', null],
    ['POST', '/payment-sessions', 'write', 'gateway:payment', null],
    ['POST', '/payment-links', 'write', 'gateway:payment', null],
    ['GET', '/payment-links/{id}', 'read', 'gateway:payment-details', null],
    ['POST', '/tokens', 'write', 'vault:instruments', null],
    ['POST', '/instruments', 'write', 'vault:instruments', null],
    ['GET', '/instruments/{id}', 'read', 'vault:instruments', null],
    ['DELETE', '/instruments/{id}', 'write', 'vault:instruments', null],
    ['POST', '/customers', 'write', 'vault:instruments', null],
    ['GET', '/customers/{id}', 'read', 'vault:instruments', null],
    ['PATCH', '/customers/{id}', 'write', 'vault:instruments', null],
    ['DELETE', '/customers/{id}', 'write', 'vault:instruments', null],
    ['GET', '/disputes', 'read', 'disputes:view', null],
    ['GET', '/disputes/{id}', 'read', 'disputes:view', null],
    ['POST', '/disputes/{id}/accept', 'write', 'disputes:accept', 'dispute_lost'],
    ['PUT', '/disputes/{id}/evidence', 'write', 'disputes:provide-evidence', null],
    ['POST', '/disputes/{id}/evidence', 'write', 'disputes:provide-evidence', 'dispute_won'],
    ['POST', '/transfers', 'write', 'fx', null],
    ['GET', '/transfers/{id}', 'read', 'fx', null],
    ['GET', '/balances/{id}', 'read', 'fx', null],
    ['GET', '/workflows', 'read', '—', null],
    ['POST', '/workflows', 'write', '—', null],
    ['GET', '/workflows/{id}', 'read', '—', null],
    ['PATCH', '/workflows/{id}', 'write', '—', null],
    ['DELETE', '/workflows/{id}', 'write', '—', null],
  ];

  it.each(GUIDE)('%s %s is %s, needs %s, emits %s', (method, path, access, scope, event) => {
    const entry = CATALOG.find((e) => e.method === method && e.path === path);
    expect(entry).toBeDefined();
    expect(entry?.access).toBe(access);
    expect(entry?.permission.kind === 'scope' ? entry.permission.scope : '—').toBe(scope);
    expect(entry?.event).toBe(event);
    expect(entry?.description.length).toBeGreaterThan(10);
  });

  it('GET rows are reads and everything else writes', () => {
    for (const e of CATALOG) expect(e.access).toBe(e.method === 'GET' ? 'read' : 'write');
  });

  it('routes transfers and balances to their own hosts', () => {
    expect(CATALOG.filter((e) => e.host !== 'api').map((e) => e.name)).toEqual([
      'createTransfer',
      'getTransfer',
      'getBalances',
    ]);
  });

  it('has the ten events, each triggered as the guide says', () => {
    expect(EVENTS.map((e) => e.type)).toEqual([
      'payment_approved',
      'payment_declined',
      'payment_captured',
      'payment_refunded',
      'payment_voided',
      'card_verified',
      'dispute_received',
      'dispute_evidence_required',
      'dispute_won',
      'dispute_lost',
    ]);
    for (const entry of CATALOG.filter((e) => e.event)) {
      const def = EVENTS.find((d) => d.type === entry.event);
      expect(def?.triggeredBy).toContain(entry.path);
    }
    expect(EVENTS.filter((e) => e.triggeredBy.length === 0).map((e) => e.type)).toEqual([
      'dispute_received',
      'dispute_evidence_required',
    ]);
  });
});

describe('matchRequest', () => {
  it('matches every row from a concrete path', () => {
    for (const entry of CATALOG) {
      const concrete = entry.path.replace('{id}', 'x_123');
      const m = matchRequest(entry.method, concrete);
      expect(m?.entry).toBe(entry);
      if (entry.path.includes('{id}')) expect(m?.params).toEqual({ id: 'x_123' });
    }
  });

  it('matches a refund request and extracts the id', () => {
    const m = matchRequest('POST', '/payments/pay_abc/refunds');
    expect(m?.entry.name).toBe('refundPayment');
    expect(m?.params.id).toBe('pay_abc');
  });

  it('prefers the literal path over a placeholder', () => {
    expect(matchRequest('GET', '/payments')?.entry.name).toBe('listPayments');
  });

  it('tolerates query strings, a trailing slash, full URLs and lowercase methods', () => {
    expect(matchRequest('GET', '/payments/pay_1?expand=true')?.entry.name).toBe('getPayment');
    expect(matchRequest('GET', '/payments/pay_1/')?.entry.name).toBe('getPayment');
    expect(matchRequest('get', 'https://abc.api.sandbox.checkout.com/disputes?limit=5')?.entry.name).toBe(
      'listDisputes',
    );
    expect(matchRequest('GET', '/payments#frag')?.entry.name).toBe('listPayments');
  });

  it('decodes ids with unusual characters', () => {
    expect(matchRequest('GET', '/customers/jo%40example.com')?.params.id).toBe('jo@example.com');
    expect(matchRequest('GET', '/customers/a%20b~c.d-e_f')?.params.id).toBe('a b~c.d-e_f');
    expect(matchRequest('GET', '/payments/%E2%9C%93')?.params.id).toBe('✓');
  });

  it('refuses malformed or ambiguous paths', () => {
    expect(matchRequest('GET', '/payments/%2Fetc')).toBeNull(); // encoded slash
    expect(matchRequest('GET', '/payments/%E0%A4%A')).toBeNull(); // broken escape
    expect(matchRequest('GET', '/payments//actions')).toBeNull();
    expect(matchRequest('GET', 'payments')).toBeNull();
    expect(matchRequest('GET', '/')).toBeNull();
    expect(matchRequest('GET', '/payments/pay_1/actions/extra')).toBeNull();
    expect(matchRequest('GET', '/unknown')).toBeNull();
  });

  it('gives no match for a wrong method', () => {
    expect(matchRequest('DELETE', '/payments/pay_1')).toBeNull();
    expect(matchRequest('GET', '/payments/pay_1/refunds')).toBeNull();
    expect(matchRequest('PATCH', '/instruments/src_1')).toBeNull();
    expect(matchRequest('GET', '/tokens')).toBeNull();
    expect(methodsForPath('/customers/cus_1')).toEqual(['GET', 'PATCH', 'DELETE']);
    expect(methodsForPath('/disputes/dsp_1/evidence')).toEqual(['POST', 'PUT']);
  });

  it('fills path templates with encoding', () => {
    expect(fillPath('/payments/{id}/refunds', { id: 'pay_1' })).toBe('/payments/pay_1/refunds');
    expect(fillPath('/customers/{id}', { id: 'a/b' })).toBe('/customers/a%2Fb');
    expect(() => fillPath('/customers/{id}', {})).toThrow(/id/);
  });
});

describe('lists and scopes', () => {
  it('filters by area, access, scope, method and search', () => {
    expect(listEntries({ area: 'disputes' })).toHaveLength(5);
    expect(listEntries({ access: 'read' })).toHaveLength(12);
    expect(listEntries({ access: 'write' })).toHaveLength(20);
    expect(listEntries({ scope: 'vault:instruments' })).toHaveLength(8);
    expect(listEntries({ scope: 'gateway' })).toHaveLength(11);
    expect(listEntries({ scope: 'none' })).toHaveLength(5);
    expect(listEntries({ method: 'delete' }).map((e) => e.path)).toEqual([
      '/instruments/{id}',
      '/customers/{id}',
      '/workflows/{id}',
    ]);
    expect(listEntries({ search: 'REFUNDS' }).map((e) => e.name)).toEqual(['refundPayment']);
    expect(listEntries({ area: 'payments', access: 'read' })).toHaveLength(3);
  });

  it('computes the minimal scopes for a set of entries', () => {
    expect(minimalScopes(listEntries({ area: 'sessions-links' }))).toEqual([
      'gateway:payment',
      'gateway:payment-details',
    ]);
    expect(minimalScopes(listEntries({ area: 'workflows' }))).toEqual(['flow:workflows']);
    expect(minimalScopes([])).toEqual([]);
    expect(minimalScopes(CATALOG)).toHaveLength(12);
  });

  it('lets a parent scope cover its children and nothing else', () => {
    expect(scopeCovers('gateway', 'gateway:payment-refunds')).toBe(true);
    expect(scopeCovers('gateway:payment', 'gateway:payment')).toBe(true);
    expect(scopeCovers('gateway:payment', 'gateway:payment-refunds')).toBe(false);
    expect(scopeCovers('vault', 'gateway:payment')).toBe(false);
    expect(scopeCovers('gate', 'gateway:payment')).toBe(false);
    expect(scopeCovers('fx', 'fx')).toBe(true);
  });
});
