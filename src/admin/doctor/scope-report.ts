import type { ProbeResult, ScopeProbe } from './scope-probes';
import { type DoctorCheck, fail, pass } from './types';

const HOW_TEXT: Record<ScopeProbe['how'], string> = {
  read_unknown_id: 'reads of an unknown id',
  write_unknown_id: 'writes to an unknown id, so nothing to act on',
  empty_create: 'creates with an empty body, refused so nothing made',
};

/**
 * "reads of an unknown id (404): a (GET /payments/{id}), b (...); ..." — each verified scope with the
 * call that verified it, grouped by kind of call.
 */
export function describeVerified(results: readonly ProbeResult[]): string {
  const groups = new Map<ScopeProbe['how'], { items: string[]; statuses: Set<string> }>();
  for (const how of Object.keys(HOW_TEXT) as ScopeProbe['how'][])
    groups.set(how, { items: [], statuses: new Set() });
  for (const r of results) {
    if (r.outcome !== 'allowed' || r.how === null) continue;
    const [call, status] = r.evidence.split(' → ');
    const g = groups.get(r.how);
    g?.items.push(`${r.scope} (${call})`);
    g?.statuses.add(status ?? '?');
  }
  return [...groups.entries()]
    .filter(([, g]) => g.items.length > 0)
    .map(([how, g]) => `${HOW_TEXT[how]} (${[...g.statuses].join('/')}): ${g.items.join(', ')}`)
    .join('; ');
}

/**
 * Turns one credential's probe results into the surface's line: 401 anywhere means the credential is
 * rejected outright, a 403 names a missing scope, anything else unexplained leaves the scope unverified.
 */
export function judgeProbes(
  check: string,
  credential: string,
  results: readonly ProbeResult[],
  grantWhere: string,
): DoctorCheck {
  const of = (o: ProbeResult['outcome']) => results.filter((r) => r.outcome === o);
  const rejected = of('unauthenticated');
  if (rejected.length > 0) {
    return fail(
      check,
      `${credential} is rejected by the API (401 on ${rejected[0]?.evidence.split(' →')[0] ?? 'every call'})`,
      'the credential is wrong, revoked, or from another environment than CHECKOUT_API_BASE: put the right one',
    );
  }
  const forbidden = of('forbidden');
  const unverified = of('inconclusive');
  const verified = describeVerified(results);
  if (forbidden.length > 0) {
    const missing = forbidden.map((r) => r.scope);
    return fail(
      check,
      `${credential} lacks ${missing.join(', ')} (403 on ${forbidden.map((r) => r.evidence.split(' →')[0]).join(', ')})${verified ? `; has: ${verified}` : ''}`,
      `${grantWhere}: ${missing.join(', ')}`,
    );
  }
  if (unverified.length > 0) {
    return fail(
      check,
      `could not verify ${unverified.map((r) => `${r.scope} (${r.evidence})`).join(', ')}${verified ? `; verified: ${verified}` : ''}`,
      'the upstream did not answer usefully: check CHECKOUT_API_BASE and run the doctor again',
    );
  }
  return pass(check, `${credential}: all ${results.length} scopes verified by ${verified}`);
}
