import { type CatalogEntry, entryByName, minimalScopes } from '../../../catalog';
import type { AuditEntry, EntryInput } from '../../model/audit-entry';
import { hasVelocityLimit } from '../../model/budgets';
import { describeFailure } from '../../model/failure';
import { holdScope } from '../../model/idempotency';
import { needsLookup, resolveMoney } from '../../model/money';
import { allowedEntries, grantAllows, hasMoneyLimits, type Money } from '../../model/policy';
import type { DecisionReason } from '../../model/types';
import { agentsClient } from '../../upstream-client';
import { checkObjectScope, type OwnershipPorts, recordCreationStart } from './ownership';
import type { AuthenticatedAgent } from './profile';
import { type BeginRequest, type BeginResult, plainFailure, plainResponse } from './rpc';
import type { SpendCheck, SpendHold } from './spend-ledger';

/** What `beginCall` may do inside the agent's object. */
export interface BeginPorts {
  env: Env;
  append(input: EntryInput): AuditEntry;
  reserve(agentId: string, entryName: string, money: Money | null, hold: SpendHold): SpendCheck;
  /** Remembers which reservation a start holds (and whether it made it), for `finish`/`abandon`. */
  remember(seq: number, hold: SpendHold, created: boolean): void;
  /** Object scope (issue 18, scope-budgets): what the ownership check may use (ownership.ts). */
  ownership: OwnershipPorts;
}

function entryFields(
  entry: CatalogEntry | undefined,
): Pick<EntryInput, 'path_template' | 'entry' | 'area' | 'access'> {
  return entry
    ? { path_template: entry.path, entry: entry.name, area: entry.area, access: entry.access }
    : { path_template: null, entry: null, area: null, access: null };
}

/**
 * The policy half of `AgentObject.begin`, for an authenticated agent: the Worker's own refusal → grant →
 * limits (money-moving entries: currency, per call, per day, reserved under the call's idempotency key)
 * → the `start` entry. Every path appends exactly one entry. Nothing awaits except the money lookup (one
 * upstream read, made only for agents with limits when the body does not carry amount and currency), after
 * which the reservation re-reads the agent (a revocation or grant change meanwhile applies).
 */
export async function beginCall(
  request: BeginRequest,
  agent: AuthenticatedAgent,
  ports: BeginPorts,
): Promise<BeginResult> {
  const entry = request.entry === null ? undefined : entryByName(request.entry);
  let amount = request.money.amount;
  let currency = request.money.currency;
  const base = (): Omit<
    EntryInput,
    'decision' | 'reason' | 'upstream_status' | 'upstream_request_id' | 'idempotency_key'
  > => ({
    kind: 'call',
    call_seq: null,
    at_ms: request.atMs,
    agent_id: agent.id,
    agent_name: agent.name,
    channel: request.channel,
    method: request.method,
    ...entryFields(entry),
    latency_ms: Math.max(0, Date.now() - request.atMs),
    request_id: request.requestId,
    amount,
    currency,
  });
  const refuse = (reason: DecisionReason, message: string, key: string | null): BeginResult => {
    ports.append({
      ...base(),
      decision: 'denied',
      reason,
      upstream_status: null,
      upstream_request_id: null,
      idempotency_key: key,
    });
    return { kind: 'refused', reason, message };
  };

  if (request.refusal !== null || !entry) {
    // The Worker's refusals (route, body, key) were never keyed calls: no key is recorded.
    return refuse(request.refusal ?? 'route_not_found', 'refused by the gateway', null);
  }
  if (!grantAllows(agent.grants, entry))
    return refuse(
      'grant_required',
      `${entry.name} (${entry.method} ${entry.path}) needs the ${entry.access} grant on the ${entry.area} area`,
      request.givenKey,
    );

  // Object scope (issue 18, scope-budgets): an object the agent does not own is refused before anything
  // is sent; a status read that failed is recorded as the lookup's failure is (ownership.ts).
  const scoped = await checkObjectScope(entry, request, agent, ports.ownership);
  if (scoped.kind === 'refused') return refuse(scoped.reason, scoped.message, request.givenKey);
  if (scoped.kind === 'failed') {
    ports.append({ ...base(), ...scoped.entry });
    return { kind: 'failed', failure: scoped.failure };
  }

  let hold: SpendHold | null = null;
  let created = false;
  // Budgets over time (issue 18): a velocity limit alone reserves too, and needs no amount.
  const amountLimited = hasMoneyLimits(agent.limits);
  if (entry.movesMoney && (amountLimited || hasVelocityLimit(agent.limits))) {
    if (amountLimited && needsLookup(entry, request.params, request.money)) {
      const client = agentsClient(ports.env, minimalScopes(allowedEntries(agent.grants)));
      let resolved: Awaited<ReturnType<typeof resolveMoney>>;
      try {
        resolved = await resolveMoney(entry, request.params, request.money, client);
      } catch (err) {
        // The lookup is a read made before anything was sent: nothing can have moved.
        const failure = describeFailure(err, { entry, key: request.givenKey, mayHaveActed: false });
        ports.append({
          ...base(),
          decision: 'failed',
          reason: 'upstream_failed',
          upstream_status: failure.upstreamStatus,
          upstream_request_id: failure.upstreamRequestId,
          idempotency_key: failure.idempotencyKey,
        });
        return { kind: 'failed', failure: plainFailure(failure) };
      }
      if (resolved.kind === 'upstream') {
        ports.append({
          ...base(),
          decision: 'allowed',
          reason: 'allowed',
          upstream_status: resolved.response.status,
          upstream_request_id: resolved.response.requestId,
          idempotency_key: request.givenKey,
        });
        return { kind: 'answered', response: plainResponse(resolved.response) };
      }
      if (resolved.kind === 'known') ({ amount, currency } = resolved.money);
    }
    if (amountLimited && (amount === null || currency === null))
      return refuse(
        'amount_required',
        `${entry.name}: this agent has amount limits, so the amount and currency must be known`,
        request.givenKey,
      );
    // Every money-moving write is keyed (`keyForCall`); the hold needs that key to survive a retry.
    if (request.key === null) throw new TypeError(`${entry.name} moves money but has no idempotency key`);
    const wanted: SpendHold = { key: request.key, scope: holdScope(entry, request.params) };
    const check = ports.reserve(
      agent.id,
      entry.name,
      amount !== null && currency !== null ? { amount, currency } : null,
      wanted,
    );
    if (!check.ok) return refuse(check.reason, check.message, request.givenKey);
    hold = wanted;
    created = !check.reused;
  }
  const start = ports.append({
    ...base(),
    kind: 'start',
    decision: 'allowed',
    reason: 'allowed',
    upstream_status: null,
    upstream_request_id: null,
    idempotency_key: request.key,
  });
  if (hold) ports.remember(start.seq, hold, created);
  recordCreationStart(ports.ownership.sql, start.seq, entry, request, start.at_ms);
  return { kind: 'started', seq: start.seq, agent, hold, amount, currency };
}
