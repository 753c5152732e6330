import { type CatalogEntry, entryByName, minimalScopes } from '../../../catalog';
import { approvalWantsAmount } from '../../model/approval-policy';
import type { AuditEntry, EntryInput } from '../../model/audit-entry';
import { describeFailure } from '../../model/failure';
import { holdScope } from '../../model/idempotency';
import { needsLookup, resolveMoney } from '../../model/money';
import { allowedEntries, grantAllows, hasMoneyLimits, type Money } from '../../model/policy';
import type { DecisionReason } from '../../model/types';
import { auditRef } from '../../proof/receipt-claims';
import { agentsClient } from '../../upstream-client';
import type { GateCall, GateResult, KeyedCall } from './approvals';
import type { AuthenticatedAgent } from './profile';
import { type BeginRequest, type BeginResult, plainFailure, plainResponse } from './rpc';
import type { SpendCheck, SpendHold } from './spend-ledger';

/** What `beginCall` may do inside the agent's object. */
export interface BeginPorts {
  env: Env;
  append(input: EntryInput): AuditEntry;
  reserve(agentId: string, entryName: string, money: Money, hold: SpendHold): SpendCheck;
  /** Remembers which reservation a start holds (and whether it made it), for `finish`/`abandon`. */
  remember(seq: number, hold: SpendHold, created: boolean): void;
  /** Approvals (approvals.ts): the key's approval, a new one, and the start of an approved call's execution. */
  existingApproval(call: KeyedCall): GateResult | null;
  newApproval(call: GateCall): GateResult;
  executionStarted(approvalId: string, seq: number): void;
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
 * the amount (looked up when needed) → approvals (approvals.ts) → limits (money-moving entries: currency,
 * per call, per day, reserved under the call's idempotency key) → the `start` entry. Every path appends exactly one entry. Nothing awaits except the money lookup (one
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

  // ── approvals: a key that has an approval is answered by it, before any lookup (approvals.ts) ──
  const approved = ports.existingApproval({ request, agent, entry, base: base(), nowMs: Date.now() });
  if (approved?.kind === 'answer') return approved.result;

  let hold: SpendHold | null = null;
  let created = false;
  const limited = entry.movesMoney && hasMoneyLimits(agent.limits);
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

  // ── approvals: a new call the policy covers is held for a person before anything is reserved ──
  const gate =
    approved ??
    ports.newApproval({ request, agent, entry, amount, currency, base: base(), nowMs: Date.now() });
  if (gate.kind === 'answer') return gate.result;

  if (limited && amount !== null && currency !== null) {
    // Every money-moving write is keyed (`keyForCall`); the hold needs that key to survive a retry.
    if (request.key === null) throw new TypeError(`${entry.name} moves money but has no idempotency key`);
    const wanted: SpendHold = { key: request.key, scope: holdScope(entry, request.params) };
    const check = ports.reserve(agent.id, entry.name, { amount, currency }, wanted);
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
