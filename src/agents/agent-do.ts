import { DurableObject } from 'cloudflare:workers';
import { entryByName, minimalScopes } from '../catalog';
import { ChainArchiveMark } from '../proof/archive-ledger';
import type { CreateAgentInput, PatchAgentInput } from './admin-input';
import {
  type AuthenticatedAgent,
  agentView,
  directoryRow,
  identity,
  PROFILE_SCHEMA,
  type ProfileRow,
} from './agent-profile';
import type { AuthenticateResult, BeginRequest, BeginResult, FinishRequest, RequestMeta } from './agent-rpc';
import { type Attempt, AttemptWindows, UNKNOWN_SOURCE } from './attempts';
import { type AuditFilter, type AuditPage, CALLS_SCHEMA, CallsProjection } from './audit-calls';
import { AuditChain, CHAIN_SCHEMA, type PrunedThrough, type PruneResult } from './audit-chain';
import {
  type AuditEntry,
  type EntryInput,
  GENESIS_HASH,
  type KeyShape,
  type RangeCheck,
} from './audit-entry';
import { beginCall } from './begin';
import { withObjectDeadline } from './deadlines';
import { hashAgentKey, issueAgentKey, KEY_PREFIX_LENGTH } from './keys';
import { allowedEntries, type Money } from './policy';
import { auditRetention, chainRetentionMs } from './retention';
import { SPEND_SCHEMA, type SpendCheck, type SpendHold, SpendLedger } from './spend-ledger';
import type { AgentView } from './types';

/** Entries are forwarded to the global index this long after an append (batching concurrent calls). */
export const FLUSH_DELAY_MS = 200;
/** A start older than this with no outcome is marked `outcome_unrecorded` (well past any call's deadline). */
export const SWEEP_AFTER_MS = 5 * 60_000;
/** After a failed forward the next try waits 1 s, doubling per failure, at most this. */
export const MAX_FLUSH_BACKOFF_MS = 60_000;
const FLUSH_BATCH = 200;
const FLUSH_BATCHES_PER_ALARM = 10;
/** Entries pruned per alarm at most; the alarm comes back this soon while more are due. */
export const PRUNE_BATCH = 500;
export const PRUNE_AGAIN_MS = 1_000;
/** While a chain holds entries, its alarm looks at least this often (a shorter retention takes effect). */
export const PRUNE_CHECK_MAX_MS = 24 * 60 * 60 * 1000;

/** A chain check, with where the chain now starts when its oldest entries were pruned. */
export type ChainCheck = RangeCheck & { pruned_through: PrunedThrough | null };

/** The agent's key, returned once on creation and rotation. */
export interface IssuedAgent {
  agent: AgentView;
  key: string;
}

interface ChainState extends Record<string, SqlStorageValue> {
  chain: string;
  forwarded_seq: number;
  flush_failures: number;
  directory_version: number;
}

const STATE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chain_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    chain TEXT NOT NULL,
    forwarded_seq INTEGER NOT NULL,
    flush_failures INTEGER NOT NULL,
    directory_version INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS start_holds (
    seq INTEGER PRIMARY KEY,
    idem_key TEXT NOT NULL,
    scope TEXT NOT NULL,
    created INTEGER NOT NULL
  );
`;

/**
 * One agent: its profile (key hash, grants, limits), its spend ledger, and its own hash-chained audit log
 * (plus the per-call projection that `/admin/audit?agent=` reads). Named by the agent id; a key names its
 * agent, so one round trip (`begin`) authenticates, authorises, reserves and records the start of a call.
 * The object named `anonymous` holds the chain of calls no agent could be named for.
 *
 * An object nobody created holds nothing and writes nothing: a made-up id in a key costs a read.
 * The alarm forwards new entries to the global `AuditIndex`, retries the directory, and sweeps starts
 * whose outcome never came.
 */
export class AgentObject extends DurableObject<Env> {
  #chain: AuditChain | null = null;
  #calls: CallsProjection | null = null;
  #ledger: SpendLedger | null = null;
  #attempts: AttemptWindows | null = null;
  #archived: ChainArchiveMark | null = null;
  /** The alarm time this instance last set, to skip storage reads on the hot path. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const exists = ctx.storage.sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_state'")
      .toArray().length;
    if (exists) this.#open(this.#state().chain);
  }

  // ── admin ──────────────────────────────────────────────────────────────────────────────────────

  /** Creates the agent this object is named for and returns its key (the only time it is visible). */
  async create(id: string, input: CreateAgentInput, nowMs: number = Date.now()): Promise<IssuedAgent> {
    if (this.#profile()) throw new Error('agent already exists');
    this.#init(id);
    const key = issueAgentKey(id);
    this.ctx.storage.sql.exec(
      `INSERT INTO agent (id, name, key_hash, key_prefix, grants, limits, expires_at, created_at, updated_at,
         key_issued_at, revoked_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1)`,
      id,
      input.name,
      await hashAgentKey(key),
      key.slice(0, KEY_PREFIX_LENGTH),
      JSON.stringify(input.grants),
      JSON.stringify(input.limits),
      input.expires_at === null ? null : Date.parse(input.expires_at),
      nowMs,
      nowMs,
      nowMs,
    );
    await this.#syncDirectory();
    return { agent: this.#view(nowMs), key };
  }

  get(nowMs: number = Date.now()): { agent: AgentView; spent_today: Record<string, number> } | null {
    const row = this.#profile();
    if (!row || !this.#ledger) return null;
    return { agent: agentView(directoryRow(row), nowMs), spent_today: this.#ledger.today(row.id, nowMs) };
  }

  /** Replaces the given fields. Grants and limits are replaced whole, not merged, so the result is explicit. */
  async update(patch: PatchAgentInput, nowMs: number = Date.now()): Promise<AgentView | null> {
    const row = this.#profile();
    if (!row) return null;
    this.ctx.storage.sql.exec(
      'UPDATE agent SET name = ?, grants = ?, limits = ?, expires_at = ?, updated_at = ?, version = version + 1',
      patch.name ?? row.name,
      patch.grants ? JSON.stringify(patch.grants) : row.grants,
      patch.limits ? JSON.stringify(patch.limits) : row.limits,
      patch.expires_at === undefined
        ? row.expires_at
        : patch.expires_at === null
          ? null
          : Date.parse(patch.expires_at),
      nowMs,
    );
    await this.#syncDirectory();
    return this.#view(nowMs);
  }

  /** Issues a new key; the old one stops working at once. Null for no agent, 'revoked' when revoked. */
  async rotate(nowMs: number = Date.now()): Promise<IssuedAgent | null | 'revoked'> {
    const row = this.#profile();
    if (!row) return null;
    if (row.revoked_at !== null) return 'revoked';
    const key = issueAgentKey(row.id);
    this.ctx.storage.sql.exec(
      'UPDATE agent SET key_hash = ?, key_prefix = ?, key_issued_at = ?, updated_at = ?, version = version + 1',
      await hashAgentKey(key),
      key.slice(0, KEY_PREFIX_LENGTH),
      nowMs,
      nowMs,
    );
    await this.#syncDirectory();
    return { agent: this.#view(nowMs), key };
  }

  /** Revokes the agent for good (kept for the audit trail). Idempotent. */
  async revoke(nowMs: number = Date.now()): Promise<AgentView | null> {
    const row = this.#profile();
    if (!row) return null;
    if (row.revoked_at === null) {
      this.ctx.storage.sql.exec(
        'UPDATE agent SET revoked_at = ?, updated_at = ?, version = version + 1',
        nowMs,
        nowMs,
      );
      await this.#syncDirectory();
    }
    return this.#view(nowMs);
  }

  // ── the call path ──────────────────────────────────────────────────────────────────────────────

  /** For MCP messages that call no tool (initialize, tools/list): who is this? Failures are recorded. */
  async authenticate(keyHash: string, meta: RequestMeta): Promise<AuthenticateResult> {
    const row = this.#profile();
    if (!row) return { kind: 'unknown_agent' };
    const failed = this.#keyCheck(row, keyHash, meta);
    if (failed) {
      await this.#afterAttempt();
      return failed;
    }
    return { kind: 'ok', agent: identity(row) };
  }

  /**
   * The one round trip of an agent call: authenticate the key, apply the Worker's own refusal, check the
   * grant and the limits, reserve the day's spend under the call's idempotency key, and append the `start`
   * entry — or the one `call` entry of a refusal. Synchronous from the key check to the append, except for
   * the money lookup a limited capture/refund/increment/dispute acceptance needs (one upstream read).
   */
  async begin(request: BeginRequest): Promise<BeginResult> {
    const row = this.#profile();
    if (!row) return { kind: 'unknown_agent' };
    const failed = this.#keyCheck(row, request.keyHash, request);
    if (failed) {
      await this.#afterAttempt();
      return failed;
    }
    const result = await beginCall(request, identity(row), {
      env: this.env,
      append: (input) => this.#append(input),
      reserve: (agentId, entryName, money, hold) =>
        this.reserveSpend(agentId, entryName, money, Date.now(), hold),
      remember: (seq, hold, created) =>
        this.ctx.storage.sql.exec(
          'INSERT OR REPLACE INTO start_holds (seq, idem_key, scope, created) VALUES (?, ?, ?, ?)',
          seq,
          hold.key,
          hold.scope,
          created ? 1 : 0,
        ),
    });
    await this.#afterAppend();
    return result;
  }

  /**
   * Appends a started call's `outcome` (after the answer) and gives back its reservation when it
   * definitely did nothing. Idempotent: a second finish of the same call is a no-op.
   */
  async finish(request: FinishRequest): Promise<void> {
    if (this.#finish(request.seq, request, request.release !== null)) await this.#afterAppend();
  }

  /**
   * The Worker lost the answer to `begin` (deadline) and sent nothing: the request's start, if it got
   * one, ends as `upstream_failed`, and a reservation that start made is given back.
   */
  async abandon(requestId: string, nowMs: number = Date.now()): Promise<void> {
    const seq = this.#calls?.pendingByRequest(requestId) ?? null;
    if (seq === null || !this.#chain) return;
    const start = this.#chain.get(seq);
    if (!start) return;
    const created = this.ctx.storage.sql
      .exec<{ created: number }>('SELECT created FROM start_holds WHERE seq = ?', seq)
      .toArray()[0];
    this.#finish(
      seq,
      {
        seq,
        atMs: nowMs,
        latencyMs: Math.max(0, nowMs - start.at_ms),
        decision: 'failed',
        reason: 'upstream_failed',
        upstreamStatus: null,
        upstreamRequestId: null,
        idempotencyKey: start.idempotency_key,
        amount: start.amount,
        currency: start.currency,
        release: null,
      },
      // Only a reservation this start made: a retry's reused one belongs to the original call.
      created?.created === 1,
    );
    await this.#afterAppend();
  }

  /** Appends one complete `call` entry to this object's chain (made `chain` if it has none yet). */
  async record(chain: string, input: EntryInput): Promise<void> {
    if (!this.#chain) this.#init(chain);
    this.#append(input);
    await this.#afterAppend();
  }

  /**
   * Counts a call refused for its key in the minute's `attempts` entry of its source (`anonymous`: no key,
   * a malformed one, or one naming no agent). An update of one row after the minute's first attempt; the
   * entry is appended when the minute is over.
   */
  async recordAttempt(chain: string, attempt: Attempt): Promise<void> {
    if (!this.#chain) this.#init(chain);
    this.#attempts?.add(attempt);
    await this.#afterAttempt();
  }

  /**
   * Marks starts older than `SWEEP_AFTER_MS` that never got an outcome (the Worker stopped between its
   * answer and the outcome append) with an `outcome` entry, reason `outcome_unrecorded`. Their
   * reservations are kept: Bollard cannot say whether the money moved. Returns how many were marked.
   */
  sweep(nowMs: number = Date.now()): number {
    if (!this.#calls || !this.#chain) return 0;
    const { seqs } = this.#calls.stale(nowMs - SWEEP_AFTER_MS, 100);
    for (const seq of seqs) {
      const start = this.#chain.get(seq);
      if (!start) continue;
      this.#finish(
        seq,
        {
          seq,
          atMs: nowMs,
          latencyMs: Math.max(0, nowMs - start.at_ms),
          decision: 'failed',
          reason: 'outcome_unrecorded',
          upstreamStatus: null,
          upstreamRequestId: null,
          idempotencyKey: start.idempotency_key,
          amount: start.amount,
          currency: start.currency,
          release: null,
        },
        false,
      );
    }
    return seqs.length;
  }

  // ── spend ledger (also reached directly by tests) ──────────────────────────────────────────────

  /**
   * Checks a money-moving call against the agent's current limits and, when it fits, adds it to the
   * day's total under its idempotency key in the same synchronous step (docs/agents.md, "Caps and
   * unknown outcomes"): a key already holding a live reservation for this call reuses it; more, or
   * another currency, than it holds is refused.
   */
  reserveSpend(agentId: string, entryName: string, money: Money, nowMs: number, hold: SpendHold): SpendCheck {
    const row = this.#profile();
    const ledger = this.#ledger;
    if (!row || !ledger || row.id !== agentId)
      return { ok: false, reason: 'grant_required', message: 'no such agent' };
    return ledger.check(identity(row), entryByName(entryName), money, nowMs, hold, row.revoked_at !== null);
  }

  /** Gives back the reservation a key holds, on the day it was made. Idempotent. */
  releaseSpend(agentId: string, hold: SpendHold): void {
    this.#ledger?.release(agentId, hold);
  }

  spentToday(agentId: string, nowMs: number = Date.now()): Record<string, number> {
    return this.#ledger?.today(agentId, nowMs) ?? {};
  }

  // ── reading the chain ──────────────────────────────────────────────────────────────────────────

  /** Calls in this chain; bad-key minutes still open are closed first, so the answer is complete. */
  async query(filter: AuditFilter, limit: number, skip: number): Promise<AuditPage> {
    await this.#closeAttemptsNow();
    return this.#calls?.query(filter, limit, skip) ?? { total_count: 0, limit, skip, data: [] };
  }

  /** Entries after `afterSeq`, for the export (open bad-key minutes closed first, as for `query`). */
  async entries(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    await this.#closeAttemptsNow();
    return this.#chain?.after(afterSeq, limit) ?? [];
  }

  head(): { seq: number; hash: string } {
    return this.#chain?.head() ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Where the chain starts after pruning (null: it still starts at entry 1). */
  prunedThrough(): PrunedThrough | null {
    return this.#chain?.prunedThrough() ?? null;
  }

  /**
   * Verifies the chain after `fromSeq` (a checkpoint, or 0 for all of it) up to `toSeq`; a range inside
   * the pruned prefix starts at the anchor. The whole chain (no `toSeq`) includes the open bad-key minutes.
   */
  async verify(fromSeq = 0, fromHash: string = GENESIS_HASH, toSeq?: number): Promise<ChainCheck> {
    if (!this.#chain)
      return {
        valid: fromSeq === 0,
        start_seq: 0,
        checked: 0,
        head_seq: 0,
        head_hash: GENESIS_HASH,
        first_invalid_seq: null,
        pruned_through: null,
      };
    if (toSeq === undefined) await this.#closeAttemptsNow();
    return { ...this.#chain.verify(fromSeq, fromHash, toSeq), pruned_through: this.#chain.prunedThrough() };
  }

  /**
   * One bounded pruning pass (the alarm runs it): at most `PRUNE_BATCH` of the oldest entries older than
   * the chain's retention (`AUDIT_RETENTION_DAYS`, or `AUDIT_ANONYMOUS_RETENTION_DAYS` for `anonymous`),
   * only entries the global index already has, never a start still waiting for its outcome, and only
   * after they verify from the current anchor. Their per-call rows go too. `nowMs` is injectable for tests.
   */
  prune(nowMs: number = Date.now()): PruneResult {
    const chain = this.#chain;
    const calls = this.#calls;
    if (!chain || !calls) return { pruned: 0, through: null, more: false, blocked: null };
    const state = this.#state();
    const retention = chainRetentionMs(auditRetention(this.env), state.chain);
    const pendingFrom = calls.oldestPendingSeq() ?? Number.POSITIVE_INFINITY;
    return chain.prune(
      nowMs - retention,
      // Never past what the audit archive holds (src/proof): unarchived evidence is not dropped.
      Math.min(state.forwarded_seq, this.#archived?.seq() ?? 0),
      PRUNE_BATCH,
      nowMs,
      (seq) => seq >= pendingFrom,
      (through) => calls.forget(state.chain, through),
    );
  }

  /**
   * The audit archive (src/proof/archive-writer.ts) holds this chain through `seq`: entries up to it may go
   * on the next pruning pass (at least daily). Refused (`diverged`) when `hash` is not this chain's own entry
   * at `seq`.
   */
  markArchived(seq: number, hash: string, nowMs: number = Date.now()): boolean | 'diverged' {
    const chain = this.#chain;
    if (!chain || !this.#archived) return 'diverged';
    const anchor = chain.prunedThrough();
    return this.#archived.mark(
      seq,
      hash,
      (s) => chain.get(s)?.hash ?? (anchor?.seq === s ? anchor.hash : null),
      nowMs,
    );
  }

  /** This object's SQLite size in bytes (`GET /admin/status`). */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /** The OAuth scopes this agent's calls need (its grants' minimal scopes). */
  upstreamScopes(): string[] {
    const row = this.#profile();
    return row ? minimalScopes(allowedEntries(identity(row).grants)) : [];
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    if (!this.#chain) return;
    const now = Date.now();
    const state = this.#state();
    const row = this.#profile();
    if (row && row.version > state.directory_version) await this.#syncDirectory();
    this.sweep(now);
    this.#closeAttempts(now);
    const flushed = await this.#flush();
    // After the forward, so what the index now holds may go.
    const pruned = this.prune(now);
    const times: number[] = [];
    if (flushed === 'failed')
      times.push(
        now + Math.min(MAX_FLUSH_BACKOFF_MS, 1_000 * 2 ** Math.max(0, this.#state().flush_failures - 1)),
      );
    else if (flushed === 'more') times.push(now);
    const oldest = this.#calls?.stale(0, 0).oldestPendingMs ?? null;
    if (oldest !== null) times.push(oldest + SWEEP_AFTER_MS);
    const attemptsDue = this.#attempts?.nextDue() ?? null;
    if (attemptsDue !== null) times.push(attemptsDue);
    const pruneAt = this.#nextPrune(now, pruned, state.chain);
    if (pruneAt !== null) times.push(pruneAt);
    if (times.length) await this.#setAlarm(Math.min(...times));
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  #init(chain: string): void {
    const sql = this.ctx.storage.sql;
    sql.exec(PROFILE_SCHEMA);
    sql.exec(SPEND_SCHEMA);
    sql.exec(CHAIN_SCHEMA);
    sql.exec(CALLS_SCHEMA);
    sql.exec(STATE_SCHEMA);
    sql.exec(
      'INSERT OR IGNORE INTO chain_state (id, chain, forwarded_seq, flush_failures, directory_version) VALUES (1, ?, 0, 0, 0)',
      chain,
    );
    this.#open(chain);
  }

  #open(chain: string): void {
    const sql = this.ctx.storage.sql;
    this.#chain = new AuditChain(sql, chain);
    this.#calls = new CallsProjection(sql);
    this.#ledger = new SpendLedger(sql);
    this.#attempts = new AttemptWindows(sql);
    this.#archived = new ChainArchiveMark(sql);
  }

  /** When the next pruning pass is due: soon while a batch was full, else when the oldest entry expires. */
  #nextPrune(now: number, pruned: PruneResult, chain: string): number | null {
    if (pruned.more) return now + PRUNE_AGAIN_MS;
    const oldest = this.#chain?.oldestAtMs() ?? null;
    if (oldest === null) return null;
    const expiry = oldest + chainRetentionMs(auditRetention(this.env), chain);
    // Past due but not prunable now (not forwarded yet, a pending start, a chain that does not verify):
    // the forward and the sweep have their own alarms; look again within a day.
    if (expiry <= now || pruned.blocked !== null) return now + PRUNE_CHECK_MAX_MS;
    return Math.max(now + PRUNE_AGAIN_MS, Math.min(expiry, now + PRUNE_CHECK_MAX_MS));
  }

  /** Appends the `attempts` entries of the minutes over by `nowMs` (all of them with `Infinity`). */
  #closeAttempts(nowMs: number): number {
    const windows = this.#attempts;
    if (!windows || !this.#chain) return 0;
    const closed = windows.close(nowMs);
    if (closed.length === 0) return 0;
    const row = this.#profile();
    for (const entry of closed)
      this.#append({ ...entry, agent_id: row?.id ?? null, agent_name: row?.name ?? null });
    return closed.length;
  }

  /** Closes every open bad-key minute before a read, so what is read is complete. */
  async #closeAttemptsNow(): Promise<void> {
    if (this.#closeAttempts(Number.POSITIVE_INFINITY) > 0) await this.#afterAppend();
  }

  /** The alarm comes when the earliest open bad-key minute ends. */
  async #afterAttempt(): Promise<void> {
    const due = this.#attempts?.nextDue() ?? null;
    if (due !== null) await this.#setAlarm(due);
  }

  #state(): ChainState {
    return this.ctx.storage.sql.exec<ChainState>('SELECT * FROM chain_state WHERE id = 1').one();
  }

  #profile(): ProfileRow | undefined {
    if (!this.#chain) return undefined;
    return this.ctx.storage.sql.exec<ProfileRow>('SELECT * FROM agent LIMIT 1').toArray()[0];
  }

  #view(nowMs: number): AgentView {
    return agentView(directoryRow(this.#profile() as ProfileRow), nowMs);
  }

  /** Null when the key is this agent's live key; else the refusal, counted in this chain's attempts. */
  #keyCheck(
    row: ProfileRow,
    keyHash: string,
    meta: RequestMeta,
  ): { kind: 'unauthenticated'; reason: 'agent_key_invalid' | 'agent_key_expired' } | null {
    let shape: KeyShape | null = null;
    if (row.key_hash !== keyHash) shape = 'wrong_secret';
    else if (row.revoked_at !== null) shape = 'revoked';
    else if (row.expires_at !== null && row.expires_at <= Date.now()) shape = 'expired';
    if (shape === null) return null;
    const reason = shape === 'expired' ? 'agent_key_expired' : 'agent_key_invalid';
    // The key names this agent, so the refusal is counted in its chain (the caller cannot tell the cases
    // apart; the operator sees the shape). Counted, not appended: a flood of guesses adds one entry per
    // source and minute.
    this.#attempts?.add({
      atMs: meta.atMs,
      source: meta.source ?? UNKNOWN_SOURCE,
      reason,
      keyShape: shape,
      channel: meta.channel,
      method: meta.method,
      requestId: meta.requestId,
    });
    return { kind: 'unauthenticated', reason };
  }

  #append(input: EntryInput): AuditEntry {
    if (!this.#chain || !this.#calls) throw new Error('agent object not initialised');
    const entry = this.#chain.append(input);
    this.#calls.apply(entry);
    return entry;
  }

  /** Appends the outcome of a pending start (giving its reservation back if `release`); false when it has one. */
  #finish(seq: number, r: FinishRequest, release: boolean): boolean {
    const chain = this.#chain;
    if (!chain || !this.#calls?.pending(this.#state().chain, seq)) return false;
    const start = chain.get(seq);
    if (!start) return false;
    this.#append({
      ...start,
      kind: 'outcome',
      call_seq: seq,
      at_ms: r.atMs,
      decision: r.decision,
      reason: r.reason,
      upstream_status: r.upstreamStatus,
      latency_ms: r.latencyMs,
      upstream_request_id: r.upstreamRequestId,
      idempotency_key: r.idempotencyKey,
      amount: r.amount,
      currency: r.currency,
    });
    if (release) this.#releaseStart(seq);
    else this.ctx.storage.sql.exec('DELETE FROM start_holds WHERE seq = ?', seq);
    return true;
  }

  #releaseStart(seq: number): void {
    const hold = this.ctx.storage.sql
      .exec<{ idem_key: string; scope: string }>('SELECT idem_key, scope FROM start_holds WHERE seq = ?', seq)
      .toArray()[0];
    const row = this.#profile();
    if (hold && row) this.#ledger?.release(row.id, { key: hold.idem_key, scope: hold.scope });
    this.ctx.storage.sql.exec('DELETE FROM start_holds WHERE seq = ?', seq);
  }

  async #afterAppend(): Promise<void> {
    await this.#setAlarm(Date.now() + FLUSH_DELAY_MS);
  }

  /** Sets the alarm at `at` unless one is already due by then. */
  async #setAlarm(at: number): Promise<void> {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current <= at) {
      this.#alarmAt = current;
      return;
    }
    await this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }

  /** Sends this agent's row to the directory; on failure the alarm retries. */
  async #syncDirectory(): Promise<void> {
    const row = this.#profile();
    if (!row) return;
    try {
      await withObjectDeadline(
        this.env.AGENT_DIRECTORY.getByName('global').upsert(directoryRow(row)),
        'the agent directory',
      );
      this.ctx.storage.sql.exec('UPDATE chain_state SET directory_version = ? WHERE id = 1', row.version);
    } catch {
      await this.#setAlarm(Date.now() + 1_000);
    }
  }

  /** Forwards entries the index does not have yet, in batches. */
  async #flush(): Promise<'done' | 'more' | 'failed'> {
    const chain = this.#chain;
    if (!chain) return 'done';
    const state = this.#state();
    let forwarded = state.forwarded_seq;
    for (let i = 0; i < FLUSH_BATCHES_PER_ALARM; i++) {
      const batch = chain.after(forwarded, FLUSH_BATCH);
      if (batch.length === 0) return 'done';
      try {
        const { head_seq } = await withObjectDeadline(
          this.env.AUDIT_INDEX.getByName('global').ingest(state.chain, batch),
          'the audit index',
        );
        forwarded = head_seq;
        this.ctx.storage.sql.exec(
          'UPDATE chain_state SET forwarded_seq = ?, flush_failures = 0 WHERE id = 1',
          forwarded,
        );
      } catch {
        this.ctx.storage.sql.exec('UPDATE chain_state SET flush_failures = flush_failures + 1 WHERE id = 1');
        return 'failed';
      }
    }
    return chain.after(forwarded, 1).length ? 'more' : 'done';
  }
}

export type { AuthenticatedAgent };
