import { type CatalogEntry, entryByName, minimalScopes } from '../../../catalog';
import { approvalWantsAmount } from '../../model/approval-policy';
import type { AuditEntry, EntryInput } from '../../model/audit-entry';
import { hasVelocityLimit } from '../../model/budgets';
import { describeFailure } from '../../model/failure';
import { holdScope } from '../../model/idempotency';
import { needsLookup, resolveMoney } from '../../model/money';
import { allowedEntries, grantAllows, hasMoneyLimits, type Money } from '../../model/policy';
import type { DecisionReason } from '../../model/types';
import { auditRef } from '../../proof/receipt-claims';
import { agentsClient } from '../../upstream-client';
import type { GateCall, GateResult, KeyedCall } from './approvals';
import { checkObjectScope, type OwnershipPorts, recordCreationStart } from './ownership';
import type { AuthenticatedAgent } from './profile';
import { type BeginRequest, type BeginResult, plainFailure, plainResponse } from './rpc';
import type { SpendCheck, SpendHold } from './spend-ledger';

/** What `beginCall` may do inside the agent's object. */
export interface BeginPorts {
  env: Env;
  append(input: EntryInput): AuditEntry;
  reserve(agentId: string, entryName: string, money: Money | null, hold: SpendHold): SpendCheck;
  /** The same check as `reserve`, holding nothing: would the call fit its limits and budgets now? */
  fits(agentId: string, entryName: string, money: Money | null, hold: SpendHold): SpendCheck;
  /** Remembers which reservation a start holds (and whether it made it), for `finish`/`abandon`. */
  remember(seq: number, hold: SpendHold, created: boolean): void;
  /** Approvals (approvals.ts): the key's approval, a new one, and the start of an approved call's execution. */
  existingApproval(call: KeyedCall): GateResult | null;
  newApproval(call: GateCall): GateResult;
  executionStarted(approvalId: string, seq: number): void;
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
 * object scope (ownership.ts) → an approval the key already has (approvals.ts) → the amount (looked up
 * when needed) → a new approval, for a call that fits its limits and budgets as they stand → limits and
 * budgets (money-moving entries: currency, per call, per day, rolling windows, lifetime, velocity), held
 * under the call's idempotency key → the `start` entry. Every path appends exactly one entry. Nothing
 * awaits except the ownership check's reads and the money lookup (each one upstream read at most, only
 * when needed), after which the reservation re-reads the agent (a revocation or grant change applies).
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
    const recorded = ports.append({
      ...base(),
      decision: 'denied',
      reason,
      upstream_status: null,
      upstream_request_id: null,
      idempotency_key: key,
    });
    return { kind: 'refused', reason, message, audit: auditRef(recorded) };
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

  // Object scope (issue 18): an object the agent does not own is refused before anything is sent, and
  // before any approval is asked for or answered (a person is never asked to approve what scope refuses;
  // a narrower scope set since an approval applies to its re-send as a grant change does). A status read
  // that failed is recorded as the money lookup's failure is (ownership.ts).
  const scoped = await checkObjectScope(entry, request, agent, ports.ownership);
  if (scoped.kind === 'refused') return refuse(scoped.reason, scoped.message, request.givenKey);
  if (scoped.kind === 'failed') {
    const recorded = ports.append({ ...base(), ...scoped.entry });
    return { kind: 'failed', failure: scoped.failure, audit: auditRef(recorded) };
  }

  // ── approvals: a key that has an approval is answered by it, before any lookup (approvals.ts) ──
  const approved = ports.existingApproval({ request, agent, entry, base: base(), nowMs: Date.now() });
  if (approved?.kind === 'answer') return approved.result;

  let hold: SpendHold | null = null;
  let created = false;
  // Budgets over time (issue 18): a velocity limit alone reserves too, and needs no amount.
  const limited = entry.movesMoney && hasMoneyLimits(agent.limits);
  const counted = limited || (entry.movesMoney && hasVelocityLimit(agent.limits));
  // Approvals: an amount threshold needs the amount as much as a limit does.
  if (limited || (entry.movesMoney && approvalWantsAmount(agent.approval))) {
    if (needsLookup(entry, request.params, request.money)) {
      const client = agentsClient(ports.env, minimalScopes(allowedEntries(agent.grants)));
      let resolved: Awaited<ReturnType<typeof resolveMoney>>;
      try {
        resolved = await resolveMoney(entry, request.params, request.money, client);
      } catch (err) {
        // The lookup is a read made before anything was sent: nothing can have moved.
        const failure = describeFailure(err, { entry, key: request.givenKey, mayHaveActed: false });
        const recorded = ports.append({
          ...base(),
          decision: 'failed',
          reason: 'upstream_failed',
          upstream_status: failure.upstreamStatus,
          upstream_request_id: failure.upstreamRequestId,
          idempotency_key: failure.idempotencyKey,
        });
        return { kind: 'failed', failure: plainFailure(failure), audit: auditRef(recorded) };
      }
      if (resolved.kind === 'upstream') {
        const recorded = ports.append({
          ...base(),
          decision: 'allowed',
          reason: 'allowed',
          upstream_status: resolved.response.status,
          upstream_request_id: resolved.response.requestId,
          idempotency_key: request.givenKey,
        });
        return { kind: 'answered', response: plainResponse(resolved.response), audit: auditRef(recorded) };
      }
      if (resolved.kind === 'known') ({ amount, currency } = resolved.money);
    }
  }
  if (limited && (amount === null || currency === null))
    return refuse(
      'amount_required',
      `${entry.name}: this agent has amount limits, so the amount and currency must be known`,
      request.givenKey,
    );
  // Every money-moving write is keyed (`keyForCall`); the hold needs that key to survive a retry.
  if (counted && request.key === null)
    throw new TypeError(`${entry.name} moves money but has no idempotency key`);
  const wanted: SpendHold | null =
    counted && request.key !== null ? { key: request.key, scope: holdScope(entry, request.params) } : null;
  const money = amount !== null && currency !== null ? { amount, currency } : null;

  // ── approvals: a new call the policy covers is held for a person before anything is reserved; one that
  // its limits and budgets refuse as they stand is not (`fits`: the reservation refuses it next, named) ──
  const gate =
    approved ??
    ports.newApproval({
      request,
      agent,
      entry,
      amount,
      currency,
      base: base(),
      nowMs: Date.now(),
      fits: () => wanted === null || ports.fits(agent.id, entry.name, money, wanted).ok,
    });
  if (gate.kind === 'answer') return gate.result;

  // Held atomically here, for a plain call and for an approved re-send alike (nothing is held while an
  // approval waits for a person).
  if (wanted !== null) {
    const check = ports.reserve(agent.id, entry.name, money, wanted);
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
  if (gate.approvalId !== null) ports.executionStarted(gate.approvalId, start.seq);
  return {
    kind: 'started',
    seq: start.seq,
    audit: auditRef(start),
    agent,
    hold,
    amount,
    currency,
    approvalId: gate.approvalId,
  };
}
