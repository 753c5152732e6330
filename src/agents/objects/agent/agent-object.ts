import { DurableObject } from 'cloudflare:workers';
import type { ApprovalStatus, ApprovalView } from '../../model/approval-view';
import type { Attempt } from '../../model/attempts';
import { type AuditEntry, type EntryInput, GENESIS_HASH } from '../../model/audit-entry';
import type { Money } from '../../model/policy';
import { auditRetention } from '../../model/retention';
import type { AgentView, CreateAgentInput, PatchAgentInput } from '../../model/types';
import type { AuditFilter, AuditPage } from '../audit-calls';
import { AlarmSlot, FLUSH_DELAY_MS, nextWake } from './alarm';
import {
  approvalsWake,
  decide,
  expireDue,
  expireOnRevoke,
  listApprovals,
  pruneApprovals,
  readApproval,
  syncApprovals,
} from './approval-decisions';
import {
  awaitExecution,
  clearLostExecutions,
  ExecutionWaiters,
  executionEnded,
  executionStarted,
  existingApproval,
  newApproval,
} from './approvals';
import type {
  ApprovalForDecision,
  ApprovalStatusResult,
  AwaitApprovalRequest,
  AwaitApprovalResult,
  DecideApproval,
  DecideResult,
} from './approvals-rpc';
import type { PrunedThrough, PruneResult } from './audit-chain';
import { beginCall } from './begin';
import { abandonStart, checkKey, closeAttempts, finishStart, sweepStale } from './call-path';
import { type ChainCheck, markArchived, nextPruneAt, pruneChain, verifyChain } from './chain';
import { forwardToIndex, sendToDirectory } from './forward';
import { startOperatorVoid, VOID_BATCH, voidCandidates } from './operator-voids';
import { CreationSignal, ownershipPorts, ownershipSummary } from './ownership';
import { agentView, directoryRow, identity, type ProfileRow, profileOf } from './profile';
import { insertAgent, profileScopes, revokeAgent, rotateKey, updateAgent } from './profile-admin';
import type {
  AuthenticateResult,
  BeginRequest,
  BeginResult,
  FinishRequest,
  IssuedAgent,
  McpClientFacts,
  RequestMeta,
} from './rpc';
import { rememberHold, reserveSpend } from './spend-holds';
import type { SpendCheck, SpendHold, SpendView } from './spend-ledger';
import { type AgentStores, appendEntry, chainState, initialised, initStores, openStores } from './state';

/**
 * One agent: its profile (key hash, grants, limits), its spend ledger, and its own hash-chained audit log
 * (plus the per-call projection that `/admin/audit?agent=` reads). Named by the agent id; a key names its
 * agent, so one round trip (`begin`) authenticates, authorises, reserves and records the start of a call.
 * The object named `anonymous` holds the chain of calls no agent could be named for.
 *
 * An object nobody created holds nothing and writes nothing: a made-up id in a key costs a read.
 * The alarm forwards new entries to the global `AuditIndex`, retries the directory, and sweeps starts
 * whose outcome never came. This class is the RPC surface; the work is in the modules beside it: the
 * profile's admin SQL (profile-admin.ts), the call path (begin.ts, call-path.ts), spend holds
 * (spend-holds.ts), object scope (ownership.ts), the voids of a revocation (operator-voids.ts), chain reads
 * and pruning (chain.ts), and the alarm and forwarding (alarm.ts, forward.ts).
 */
export class AgentObject extends DurableObject<Env> {
  #stores: AgentStores | null = null;
  readonly #alarm: AlarmSlot;
  /** Re-sends of an approved call waiting for the execution another request is running (approvals.ts). */
  readonly #waiters = new ExecutionWaiters();
  /** Object scope (issue 18): wakes calls waiting for a creation's answer (ownership.ts). */
  readonly #settled = new CreationSignal();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#alarm = new AlarmSlot(ctx.storage);
    const sql = ctx.storage.sql;
    if (initialised(sql)) this.#stores = openStores(sql, chainState(sql).chain);
  }

  // ── admin ──────────────────────────────────────────────────────────────────────────────────────

  /** Creates the agent this object is named for and returns its key (the only time it is visible). */
  async create(id: string, input: CreateAgentInput, nowMs: number = Date.now()): Promise<IssuedAgent> {
    if (profileOf(this.#stores)) throw new Error('agent already exists');
    const stores = this.#init(id);
    const key = await insertAgent(stores.sql, id, input, nowMs);
    await this.#syncDirectory();
    return { agent: this.#view(nowMs), key };
  }

  get(nowMs: number = Date.now()): {
    agent: AgentView;
    spent_today: Record<string, number>;
    spent: SpendView;
    objects: ReturnType<typeof ownershipSummary>;
  } | null {
    const row = profileOf(this.#stores);
    if (!row || !this.#stores) return null;
    return {
      agent: agentView(directoryRow(row), nowMs),
      spent_today: this.#stores.ledger.today(row.id, nowMs),
      // Budgets over time and object scope (issue 18): every window's totals, and what the agent owns.
      spent: this.#stores.ledger.view(row.id, nowMs),
      objects: ownershipSummary(this.#stores.sql),
    };
  }

  /** Replaces the given fields. Grants and limits are replaced whole, not merged, so the result is explicit. */
  async update(patch: PatchAgentInput, nowMs: number = Date.now()): Promise<AgentView | null> {
    const row = profileOf(this.#stores);
    if (!row) return null;
    updateAgent(this.ctx.storage.sql, row, patch, nowMs);
    await this.#syncDirectory();
    return this.#view(nowMs);
  }

  /** Issues a new key; the old one stops working at once. Null for no agent, 'revoked' when revoked. */
  async rotate(nowMs: number = Date.now()): Promise<IssuedAgent | null | 'revoked'> {
    const row = profileOf(this.#stores);
    if (!row) return null;
    if (row.revoked_at !== null) return 'revoked';
    const key = await rotateKey(this.ctx.storage.sql, row, nowMs);
    await this.#syncDirectory();
    return { agent: this.#view(nowMs), key };
  }

  /** Revokes the agent for good (kept for the audit trail). Idempotent. */
  async revoke(nowMs: number = Date.now()): Promise<AgentView | null> {
    const row = profileOf(this.#stores);
    if (!row) return null;
    if (row.revoked_at === null) {
      revokeAgent(this.ctx.storage.sql, nowMs);
      await this.#syncDirectory();
      if (this.#stores && expireOnRevoke(this.#stores, row, nowMs) > 0) await this.#afterAppend();
    }
    return this.#view(nowMs);
  }

  // ── the call path ──────────────────────────────────────────────────────────────────────────────

  /**
   * For MCP messages that call no tool (initialize, tools/list): who is this? Failures are recorded. An
   * `initialize` passes what its client declared (`mcp`), remembered for the agent's later tool calls.
   */
  async authenticate(keyHash: string, meta: RequestMeta, mcp?: McpClientFacts): Promise<AuthenticateResult> {
    const stores = this.#stores;
    const row = profileOf(stores);
    if (!row || !stores) return { kind: 'unknown_agent' };
    const failed = checkKey(stores, row, keyHash, meta);
    if (failed) {
      await this.#afterAttempt();
      return failed;
    }
    if (mcp) stores.approvals.rememberUrlElicitation(mcp.urlElicitation, meta.atMs);
    return { kind: 'ok', agent: identity(row) };
  }

  /**
   * The one round trip of an agent call: authenticate the key, apply the Worker's own refusal, check the
   * grant and the limits, reserve the day's spend under the call's idempotency key, and append the `start`
   * entry — or the one `call` entry of a refusal. Synchronous from the key check to the append, except for
   * the money lookup a limited capture/refund/increment/dispute acceptance needs (one upstream read).
   */
  async begin(request: BeginRequest): Promise<BeginResult> {
    const stores = this.#stores;
    // Earlier calls' outcomes first (gateway/outcome-relay.ts), whatever this call's fate: they are facts.
    const carried = (request.outcomes ?? []).filter((outcome) => this.#finishOne(outcome)).length;
    if (carried) await this.#afterAppend();
    const row = profileOf(stores);
    if (!row || !stores) return { kind: 'unknown_agent' };
    const failed = checkKey(stores, row, request.keyHash, request);
    if (failed) {
      await this.#afterAttempt();
      return failed;
    }
    const result = await beginCall(request, identity(row), {
      env: this.env,
      append: (input) => this.#append(input),
      reserve: (agentId, entryName, money, hold) =>
        this.reserveSpend(agentId, entryName, money, Date.now(), hold),
      fits: (agentId, entryName, money, hold) =>
        reserveSpend(stores, agentId, entryName, money, Date.now(), hold, 'dry_run'),
      remember: (seq, hold, created) => rememberHold(this.ctx.storage.sql, seq, hold, created),
      existingApproval: (call) => existingApproval(stores, this.env, call),
      newApproval: (call) => newApproval(stores, call),
      executionStarted: (approvalId, seq) => executionStarted(stores, approvalId, seq, Date.now()),
      ownership: ownershipPorts(this.env, stores, this.#settled),
    });
    await this.#afterAppend();
    return result;
  }

  /**
   * Appends a started call's `outcome` (after the answer) and gives back its reservation when it
   * definitely did nothing. Idempotent: a second finish of the same call is a no-op.
   */
  async finish(request: FinishRequest): Promise<void> {
    if (this.#finishOne(request)) await this.#afterAppend();
  }

  /**
   * The Worker lost the answer to `begin` (deadline) and sent nothing: the request's start, if it got
   * one, ends as `upstream_failed`, and a reservation that start made is given back.
   */
  async abandon(requestId: string, nowMs: number = Date.now()): Promise<void> {
    const stores = this.#stores;
    if (!stores || !abandonStart(stores, requestId, nowMs)) return;
    this.#settled.notify();
    // Approvals: an execution that was never sent is not in flight any more.
    clearLostExecutions(stores, nowMs, false);
    this.#waiters.wakeAll();
    await this.#afterAppend();
  }

  // ── revoke and roll back (issue 18; operator-voids.ts, admin/revoke-voids.ts) ─────────────────────

  /** The agent's own payments that may still hold an open authorisation, newest first, at most a batch. */
  voidCandidates(nowMs: number = Date.now()): { ids: string[]; remaining: number } {
    return this.#stores ? voidCandidates(this.#stores.sql, nowMs, VOID_BATCH) : { ids: [], remaining: 0 };
  }

  /** Appends the `start` of a void Bollard sends for the operator; `finish` appends its outcome. */
  async startOperatorVoid(
    requestId: string,
    key: string,
    nowMs: number = Date.now(),
  ): Promise<number | null> {
    const seq = this.#stores ? startOperatorVoid(this.#stores, requestId, key, nowMs) : null;
    if (seq !== null) await this.#afterAppend();
    return seq;
  }

  /** Appends one complete `call` entry to this object's chain (made `chain` if it has none yet). */
  async record(chain: string, input: EntryInput): Promise<void> {
    appendEntry(this.#stores ?? this.#init(chain), input);
    await this.#afterAppend();
  }

  /**
   * Counts a call refused for its key in the minute's `attempts` entry of its source (`anonymous`: no key,
   * a malformed one, or one naming no agent). An update of one row after the minute's first attempt; the
   * entry is appended when the minute is over.
   */
  async recordAttempt(chain: string, attempt: Attempt): Promise<void> {
    (this.#stores ?? this.#init(chain)).attempts.add(attempt);
    await this.#afterAttempt();
  }

  /**
   * Marks starts older than `SWEEP_AFTER_MS` that never got an outcome with an `outcome` entry, reason
   * `outcome_unrecorded` (call-path.ts). Returns how many were marked.
   */
  sweep(nowMs: number = Date.now()): number {
    if (!this.#stores) return 0;
    const swept = sweepStale(this.#stores, nowMs);
    if (swept > 0) {
      clearLostExecutions(this.#stores, nowMs, true);
      this.#waiters.wakeAll();
    }
    return swept;
  }

  // ── approvals (approvals.ts, approval-decisions.ts; docs/agents.md, "Approvals") ─────────────────

  /**
   * A re-send of an approved call that another request is running: waits for that execution to end, then
   * replays its answer (or says it is still in progress). Appends this call's one entry.
   */
  async awaitApproval(request: AwaitApprovalRequest): Promise<AwaitApprovalResult> {
    const stores = this.#stores;
    const row = profileOf(stores);
    if (!row || !stores) throw new Error('no agent in this object');
    const result = await awaitExecution(stores, this.env, this.#waiters, row, request);
    await this.#afterAppend();
    return result;
  }

  /** The agent's own read of one of its approvals, behind its key (`GET /agent/v1/approvals/{id}`, MCP). */
  async approvalStatus(
    keyHash: string,
    meta: RequestMeta,
    approvalId: string,
  ): Promise<ApprovalStatusResult> {
    const auth = await this.authenticate(keyHash, meta);
    const stores = this.#stores;
    const row = profileOf(stores);
    if (auth.kind !== 'ok' || !stores || !row) return auth;
    const found = readApproval(stores, row, approvalId, Date.now());
    await this.#afterChange();
    return { kind: 'approval', approval: found?.approval ?? null };
  }

  /** One approval and the hash an approver's proof binds (admin), or null. */
  async getApproval(approvalId: string, nowMs: number = Date.now()): Promise<ApprovalForDecision | null> {
    const stores = this.#stores;
    const row = profileOf(stores);
    if (!stores || !row) return null;
    const found = readApproval(stores, row, approvalId, nowMs);
    await this.#afterChange();
    return found;
  }

  /** This agent's approvals, newest first (admin): by status, or the given ids (a page of the index). */
  async listApprovals(
    filter: { status?: ApprovalStatus; ids?: string[] },
    limit: number,
    skip: number,
    nowMs: number = Date.now(),
  ): Promise<{ total_count: number; data: ApprovalView[] }> {
    const stores = this.#stores;
    const row = profileOf(stores);
    if (!stores || !row) return { total_count: 0, data: [] };
    const page = listApprovals(stores, row, filter, limit, skip, nowMs);
    await this.#afterChange();
    return page;
  }

  /** An approver's decision (the route proved who, `verifyApprover`); the index learns it at once. */
  async decideApproval(
    approvalId: string,
    d: DecideApproval,
    nowMs: number = Date.now(),
  ): Promise<DecideResult> {
    const stores = this.#stores;
    const row = profileOf(stores);
    if (!stores || !row) return { kind: 'not_found' };
    const result = decide(stores, row, approvalId, d, nowMs);
    if ((await syncApprovals(this.env, stores, row.id)) === 'failed')
      await this.#alarm.setBy(Date.now() + 1_000);
    await this.#afterChange();
    return result;
  }

  // ── spend ledger (also reached directly by tests) ──────────────────────────────────────────────

  /** Reserves a money-moving call's amount under its idempotency key, within the limits (spend-holds.ts). */
  reserveSpend(
    agentId: string,
    entryName: string,
    money: Money | null,
    nowMs: number,
    hold: SpendHold,
  ): SpendCheck {
    return reserveSpend(this.#stores, agentId, entryName, money, nowMs, hold);
  }

  /** Gives back the reservation a key holds, on the day it was made. Idempotent. */
  releaseSpend(agentId: string, hold: SpendHold): void {
    this.#stores?.ledger.release(agentId, hold);
  }

  spentToday(agentId: string, nowMs: number = Date.now()): Record<string, number> {
    return this.#stores?.ledger.today(agentId, nowMs) ?? {};
  }

  // ── reading the chain ──────────────────────────────────────────────────────────────────────────

  /** Calls in this chain; bad-key minutes still open are closed first, so the answer is complete. */
  async query(filter: AuditFilter, limit: number, skip: number): Promise<AuditPage> {
    await this.#closeAttemptsNow();
    return this.#stores?.calls.query(filter, limit, skip) ?? { total_count: 0, limit, skip, data: [] };
  }

  /** Entries after `afterSeq`, for the export (open bad-key minutes closed first, as for `query`). */
  async entries(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    await this.#closeAttemptsNow();
    return this.#stores?.chain.after(afterSeq, limit) ?? [];
  }

  head(): { seq: number; hash: string } {
    return this.#stores?.chain.head() ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Where the chain starts after pruning (null: it still starts at entry 1). */
  prunedThrough(): PrunedThrough | null {
    return this.#stores?.chain.prunedThrough() ?? null;
  }

  /**
   * Verifies the chain after `fromSeq` (a checkpoint, or 0 for all of it) up to `toSeq`; a range inside
   * the pruned prefix starts at the anchor. The whole chain (no `toSeq`) includes the open bad-key minutes.
   */
  async verify(fromSeq = 0, fromHash: string = GENESIS_HASH, toSeq?: number): Promise<ChainCheck> {
    if (this.#stores && toSeq === undefined) await this.#closeAttemptsNow();
    return verifyChain(this.#stores, fromSeq, fromHash, toSeq);
  }

  /**
   * One bounded pruning pass (the alarm runs it; chain.ts): the oldest entries past the chain's retention
   * (`AUDIT_RETENTION_DAYS`, or `AUDIT_ANONYMOUS_RETENTION_DAYS` for `anonymous`) that the index already
   * has. `nowMs` is injectable for tests.
   */
  prune(nowMs: number = Date.now()): PruneResult {
    return pruneChain(this.#stores, auditRetention(this.env), nowMs);
  }

  /**
   * The audit archive (src/proof/archive-writer.ts) holds this chain through `seq`: entries up to it may go
   * on the next pruning pass. Refused (`diverged`) when `hash` is not this chain's own entry at `seq`.
   */
  markArchived(seq: number, hash: string, nowMs: number = Date.now()): boolean | 'diverged' {
    return markArchived(this.#stores, seq, hash, nowMs);
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /** The OAuth scopes this agent's calls need (its grants' minimal scopes). */
  upstreamScopes(): string[] {
    return profileScopes(profileOf(this.#stores));
  }

  override async alarm(): Promise<void> {
    this.#alarm.fired();
    const stores = this.#stores;
    if (!stores) return;
    const now = Date.now();
    const state = chainState(stores.sql);
    const row = profileOf(stores);
    if (row && row.version > state.directory_version) await this.#syncDirectory();
    if (sweepStale(stores, now) > 0) {
      clearLostExecutions(stores, now, true);
      this.#waiters.wakeAll();
    }
    closeAttempts(stores, now);
    // Approvals: expiries, pruning, and the directory's index of them.
    if (row) expireDue(stores, row, now);
    pruneApprovals(stores, now);
    const approvalsSynced = row ? await syncApprovals(this.env, stores, row.id) : 'done';
    const flushed = await forwardToIndex(this.env, stores);
    // After the forward, so what the index now holds may go.
    const pruned = this.prune(now);
    const pruneAt = nextPruneAt(stores, auditRetention(this.env), now, pruned, state.chain);
    const wakes = [nextWake(stores, now, flushed, pruneAt), approvalsWake(stores, now, approvalsSynced)];
    const due = wakes.filter((w) => w !== null);
    if (due.length) await this.#alarm.setBy(Math.min(...due));
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  #init(chain: string): AgentStores {
    this.#stores = initStores(this.ctx.storage.sql, chain);
    return this.#stores;
  }

  #view(nowMs: number): AgentView {
    return agentView(directoryRow(profileOf(this.#stores) as ProfileRow), nowMs);
  }

  /** `finish` without the alarm: false when there was nothing to finish (not pending, or finished). */
  #finishOne(request: FinishRequest): boolean {
    const stores = this.#stores;
    if (!stores || !finishStart(stores, request.seq, request, request.release !== null)) return false;
    // Object scope: calls waiting for a creation's answer look again (ownership.ts).
    this.#settled.notify();
    // Approvals: an approved call's execution ended (its answer kept for replays); waiters learn it.
    if (request.approval) {
      const row = profileOf(stores);
      if (row && executionEnded(stores, row, request)) this.#waiters.wake(request.approval.approvalId);
    }
    return true;
  }

  #append(input: EntryInput): AuditEntry {
    if (!this.#stores) throw new Error('agent object not initialised');
    return appendEntry(this.#stores, input);
  }

  /** Closes every open bad-key minute before a read, so what is read is complete. */
  async #closeAttemptsNow(): Promise<void> {
    if (this.#stores && closeAttempts(this.#stores, Number.POSITIVE_INFINITY) > 0) await this.#afterAppend();
  }

  /** The alarm comes when the earliest open bad-key minute ends. */
  async #afterAttempt(): Promise<void> {
    const due = this.#stores?.attempts.nextDue() ?? null;
    if (due !== null) await this.#alarm.setBy(due);
  }

  async #afterAppend(): Promise<void> {
    await this.#alarm.setBy(Date.now() + FLUSH_DELAY_MS);
  }

  /** After a read that may have appended (an approval expired on the way): as after an append, if it did. */
  async #afterChange(): Promise<void> {
    const stores = this.#stores;
    if (stores && chainState(stores.sql).forwarded_seq < stores.chain.head().seq) await this.#afterAppend();
    else if (stores && stores.approvals.dirty(1).length > 0) await this.#afterAppend();
  }

  /** Sends this agent's row to the directory; on failure the alarm retries. */
  async #syncDirectory(): Promise<void> {
    if ((await sendToDirectory(this.env, this.#stores)) === 'failed')
      await this.#alarm.setBy(Date.now() + 1_000);
  }
}
