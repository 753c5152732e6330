import { CATALOG, type CatalogEntry, oauthScopeFor } from '../../catalog';
import { usesPublicKey } from '../../checkout/client';
import type { CheckoutClient } from '../../checkout/contract';

/**
 * One call per scope that shows whether a credential holds the scope without changing anything: a read
 * of an id that does not exist (404 = allowed), a write to an id that does not exist (nothing to act
 * on: 404), or, for a create with no id, an empty body (refused as invalid: 422). The API checks the
 * credential and its scopes before it looks the object up or validates the body, so a 403 means the
 * scope is missing and a 401 that the credential itself is rejected.
 */
export interface ScopeProbe {
  scope: string;
  entry: CatalogEntry;
  /** How the call proves the scope without effect, for the report. */
  how: 'read_unknown_id' | 'write_unknown_id' | 'empty_create';
}

// Well-formed ids (prefix + 26 base32 characters) that no account has: the API answers 404, not 422.
const ID_PREFIX: Record<string, string> = {
  payments: 'pay',
  'payment-links': 'pl',
  instruments: 'src',
  customers: 'cus',
  disputes: 'dsp',
  transfers: 'tra',
  balances: 'ent',
  workflows: 'wf',
};

export function unknownIdFor(entry: CatalogEntry): string {
  const segment = entry.path.split('/')[1] ?? '';
  return `${ID_PREFIX[segment] ?? 'id'}_${'bollarddoctorprobe'.padEnd(26, 'a')}`;
}

function rank(e: CatalogEntry): number {
  const hasId = e.path.includes('{id}');
  return (hasId ? 0 : 4) + (e.access === 'read' ? 0 : 2) + (e.movesMoney ? 1 : 0);
}

/** The safest catalog call for a scope: reads of an id first, then writes to an id, never money first. */
export function probeFor(scope: string): ScopeProbe | null {
  const candidates = CATALOG.filter((e) => oauthScopeFor(e) === scope && !usesPublicKey(e));
  const best = [...candidates].sort((a, b) => rank(a) - rank(b))[0];
  if (!best) return null;
  const how = !best.path.includes('{id}')
    ? 'empty_create'
    : best.access === 'read'
      ? 'read_unknown_id'
      : 'write_unknown_id';
  return { scope, entry: best, how };
}

export type ProbeOutcome = 'allowed' | 'forbidden' | 'unauthenticated' | 'inconclusive';

export interface ProbeResult {
  scope: string;
  outcome: ProbeOutcome;
  /** `GET /payments/{id} → 404`, or what went wrong. */
  evidence: string;
  how: ScopeProbe['how'] | null;
}

/** Statuses that mean the call got past authentication and the scope check. */
function allowedStatus(status: number): boolean {
  return (status >= 200 && status < 300) || status === 404 || status === 409 || status === 422;
}

/** Sends one probe through `client` (the surface's credential, the rate gate, the deadline). */
export async function runProbe(client: CheckoutClient, scope: string): Promise<ProbeResult> {
  const probe = probeFor(scope);
  if (!probe) {
    return { scope, outcome: 'inconclusive', evidence: 'no catalog call needs this scope', how: null };
  }
  const { entry } = probe;
  const call = `${entry.method} ${entry.path}`;
  try {
    const res = await client.send(entry, {
      ...(entry.path.includes('{id}') ? { params: { id: unknownIdFor(entry) } } : {}),
      ...(entry.access === 'write' ? { body: {} } : {}),
      deadlineMs: 8_000,
    });
    const evidence = `${call} → ${res.status}`;
    if (res.status === 401) return { scope, outcome: 'unauthenticated', evidence, how: probe.how };
    if (res.status === 403) return { scope, outcome: 'forbidden', evidence, how: probe.how };
    if (allowedStatus(res.status)) return { scope, outcome: 'allowed', evidence, how: probe.how };
    return { scope, outcome: 'inconclusive', evidence, how: probe.how };
  } catch (err) {
    // Transport failures, the rate gate shedding, a missing credential: the scope stays unverified.
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    return { scope, outcome: 'inconclusive', evidence: `${call}: ${code}`, how: probe.how };
  }
}
