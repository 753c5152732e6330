import { DurableObject } from 'cloudflare:workers';
import { entryByName, minimalScopes } from '../catalog';
import type { CreateAgentInput, PatchAgentInput } from './admin-input';
import { hashAgentKey, newAgentId, newAgentKey } from './keys';
import { allowedEntries, checkCallLimits, grantAllows, type Money, utcDay } from './policy';
import { SPEND_SCHEMA, type SpendCheck, type SpendHold, SpendLedger } from './spend-ledger';
import type { AgentLimits, AgentView, Grants } from './types';

interface AgentRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  grants: string;
  limits: string;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  key_issued_at: number;
  revoked_at: number | null;
}

/** The agent a key belongs to, as the gateway needs it (never the key hash). */
export interface AuthenticatedAgent {
  id: string;
  name: string;
  grants: Grants;
  limits: AgentLimits;
}

export type AuthResult =
  | { kind: 'invalid' }
  | { kind: 'expired'; agent: { id: string; name: string } }
  /** `upstreamScopes`: the union of the active grants' minimal scopes, for the OAuth token of this surface. */
  | { kind: 'ok'; agent: AuthenticatedAgent; upstreamScopes: string[] };

export interface AgentPage {
  total_count: number;
  limit: number;
  skip: number;
  data: AgentView[];
}

/** The agent's key, returned once on creation and rotation. */
export interface IssuedAgent {
  agent: AgentView;
  key: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Agents, their hashed keys, grants and limits, and the per-day spend counters — the single source of
 * truth the gateway asks on every call (no isolate cache, so revocation and rotation take effect for the
 * very next call everywhere). One instance (`getByName('global')`); every method is synchronous SQL
 * between awaits, so a spend check-and-add is atomic.
 */
export class AgentRegistry extends DurableObject<Env> {
  /** `upstreamScopes` memo: cleared on every write, and valid only until the next expiry among active agents. */
  #scopes: { value: string[]; validUntil: number } | null = null;
  readonly #ledger: SpendLedger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        key_prefix TEXT NOT NULL,
        grants TEXT NOT NULL,
        limits TEXT NOT NULL,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        key_issued_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
    `);
    ctx.storage.sql.exec(SPEND_SCHEMA);
    this.#ledger = new SpendLedger(ctx.storage.sql);
  }

  /** Creates an agent and returns its key (the only time it is ever visible). */
  async create(input: CreateAgentInput, nowMs: number = Date.now()): Promise<IssuedAgent> {
    this.#scopes = null;
    const key = newAgentKey();
    const hash = await hashAgentKey(key);
    const id = newAgentId();
    this.ctx.storage.sql.exec(
      `INSERT INTO agents (id, name, key_hash, key_prefix, grants, limits, expires_at, created_at, updated_at, key_issued_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      id,
      input.name,
      hash,
      key.slice(0, 8),
      JSON.stringify(input.grants),
      JSON.stringify(input.limits),
      input.expires_at === null ? null : Date.parse(input.expires_at),
      nowMs,
      nowMs,
      nowMs,
    );
    return { agent: this.#view(this.#row(id) as AgentRow, nowMs), key };
  }

  list(options: { limit: number; skip: number }, nowMs: number = Date.now()): AgentPage {
    const sql = this.ctx.storage.sql;
    const total = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM agents').one().n;
    const rows = sql
      .exec<AgentRow>(
        'SELECT * FROM agents ORDER BY created_at, id LIMIT ? OFFSET ?',
        options.limit,
        options.skip,
      )
      .toArray();
    return {
      total_count: total,
      limit: options.limit,
      skip: options.skip,
      data: rows.map((r) => this.#view(r, nowMs)),
    };
  }

  get(id: string, nowMs: number = Date.now()): AgentView | null {
    const row = this.#row(id);
    return row ? this.#view(row, nowMs) : null;
  }

  /** Replaces the given fields. Grants and limits are replaced whole, not merged, so the result is explicit. */
  update(id: string, patch: PatchAgentInput, nowMs: number = Date.now()): AgentView | null {
    const row = this.#row(id);
    if (!row) return null;
    this.#scopes = null;
    this.ctx.storage.sql.exec(
      'UPDATE agents SET name = ?, grants = ?, limits = ?, expires_at = ?, updated_at = ? WHERE id = ?',
      patch.name ?? row.name,
      patch.grants ? JSON.stringify(patch.grants) : row.grants,
      patch.limits ? JSON.stringify(patch.limits) : row.limits,
      patch.expires_at === undefined
        ? row.expires_at
        : patch.expires_at === null
          ? null
          : Date.parse(patch.expires_at),
      nowMs,
      id,
    );
    return this.get(id, nowMs);
  }

  /** Issues a new key; the old one stops working at once. Null for an unknown agent, 'revoked' when revoked. */
  async rotate(id: string, nowMs: number = Date.now()): Promise<IssuedAgent | null | 'revoked'> {
    const key = newAgentKey();
    const hash = await hashAgentKey(key);
    const row = this.#row(id);
    if (!row) return null;
    if (row.revoked_at !== null) return 'revoked';
    this.ctx.storage.sql.exec(
      'UPDATE agents SET key_hash = ?, key_prefix = ?, key_issued_at = ?, updated_at = ? WHERE id = ?',
      hash,
      key.slice(0, 8),
      nowMs,
      nowMs,
      id,
    );
    return { agent: this.#view(this.#row(id) as AgentRow, nowMs), key };
  }

  /** Revokes an agent for good (kept for the audit trail). Idempotent. */
  revoke(id: string, nowMs: number = Date.now()): AgentView | null {
    const row = this.#row(id);
    if (!row) return null;
    this.#scopes = null;
    if (row.revoked_at === null)
      this.ctx.storage.sql.exec(
        'UPDATE agents SET revoked_at = ?, updated_at = ? WHERE id = ?',
        nowMs,
        nowMs,
        id,
      );
    return this.get(id, nowMs);
  }

  /** Finds the live agent for a key hash. Revoked and unknown keys look the same to the caller. */
  authenticate(keyHash: string, nowMs: number = Date.now()): AuthResult {
    const row = this.ctx.storage.sql
      .exec<AgentRow>('SELECT * FROM agents WHERE key_hash = ?', keyHash)
      .toArray()[0];
    if (!row || row.revoked_at !== null) return { kind: 'invalid' };
    if (row.expires_at !== null && row.expires_at <= nowMs)
      return { kind: 'expired', agent: { id: row.id, name: row.name } };
    return {
      kind: 'ok',
      upstreamScopes: this.upstreamScopes(nowMs),
      agent: {
        id: row.id,
        name: row.name,
        grants: JSON.parse(row.grants) as Grants,
        limits: JSON.parse(row.limits) as AgentLimits,
      },
    };
  }

  /**
   * Checks a money-moving call against the agent's current limits and, when it fits, adds it to the
   * day's total under its idempotency key in the same synchronous step (so concurrent calls cannot both
   * squeeze under the cap). Re-reads the row: a grant or limit changed since `authenticate` applies here
   * too. A key that already holds a live reservation for this call (a retry after an unknown outcome, or
   * of a success) reuses it: upstream answers such a retry with the original outcome, so counting it
   * again would count one payment twice. A retry asking for more, or in another currency, than its key
   * holds is not the same request and is refused.
   */
  reserveSpend(agentId: string, entryName: string, money: Money, nowMs: number, hold: SpendHold): SpendCheck {
    const row = this.#row(agentId);
    const entry = entryByName(entryName);
    if (!row || row.revoked_at !== null || !entry || !grantAllows(JSON.parse(row.grants) as Grants, entry))
      return { ok: false, reason: 'grant_required', message: 'the agent no longer holds this grant' };
    const limits = JSON.parse(row.limits) as AgentLimits;
    const perCall = checkCallLimits(limits, money);
    if (!perCall.ok) return perCall;
    const ledger = this.#ledger;
    ledger.prune(nowMs);
    const held = ledger.held(agentId, hold, nowMs);
    if (held) {
      if (held.currency === money.currency && money.amount <= held.amount) return { ok: true, reused: true };
      return {
        ok: false,
        reason: 'idempotency_key_reused',
        message: `this idempotency key already holds ${held.amount} ${held.currency} for this call: a retry with it must repeat that request, and a new request needs a new key`,
      };
    }
    const cap = limits.max_amount_per_day?.[money.currency];
    const spent = ledger.spent(agentId, utcDay(nowMs), money.currency);
    if (cap !== undefined && spent + money.amount > cap)
      return {
        ok: false,
        reason: 'daily_limit_exceeded',
        message: `amount ${money.amount} ${money.currency} would exceed the daily limit of ${cap} (${spent} used today)`,
      };
    ledger.reserve(agentId, hold, money, nowMs);
    return { ok: true, reused: false };
  }

  /**
   * Gives back the reservation a key holds, on the day it was made: its call (or a retry with the key)
   * definitely did nothing upstream. Idempotent.
   */
  releaseSpend(agentId: string, hold: SpendHold): void {
    this.#ledger.release(agentId, hold);
  }

  /** The day's running total per currency (for operators and tests). */
  spentToday(agentId: string, nowMs: number = Date.now()): Record<string, number> {
    return this.#ledger.today(agentId, nowMs);
  }

  /**
   * The least OAuth scopes that cover every active (unrevoked, unexpired) agent's grants: what Bollard's
   * upstream credential for the agents surface should be requested with. Empty when no agent is active.
   */
  upstreamScopes(nowMs: number = Date.now()): string[] {
    if (this.#scopes && nowMs < this.#scopes.validUntil) return this.#scopes.value;
    const rows = this.ctx.storage.sql
      .exec<{ grants: string; expires_at: number | null }>(
        'SELECT grants, expires_at FROM agents WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
        nowMs,
      )
      .toArray();
    const value = minimalScopes(rows.flatMap((r) => allowedEntries(JSON.parse(r.grants) as Grants)));
    const validUntil = Math.min(
      Number.POSITIVE_INFINITY,
      ...rows.map((r) => r.expires_at ?? Number.POSITIVE_INFINITY),
    );
    this.#scopes = { value, validUntil };
    return value;
  }

  #row(id: string): AgentRow | undefined {
    return this.ctx.storage.sql.exec<AgentRow>('SELECT * FROM agents WHERE id = ?', id).toArray()[0];
  }

  #view(row: AgentRow, nowMs: number): AgentView {
    const status =
      row.revoked_at !== null
        ? 'revoked'
        : row.expires_at !== null && row.expires_at <= nowMs
          ? 'expired'
          : 'active';
    return {
      id: row.id,
      name: row.name,
      grants: JSON.parse(row.grants) as Grants,
      limits: JSON.parse(row.limits) as AgentLimits,
      expires_at: iso(row.expires_at),
      created_on: new Date(row.created_at).toISOString(),
      updated_on: new Date(row.updated_at).toISOString(),
      key_issued_on: new Date(row.key_issued_at).toISOString(),
      key_prefix: `${row.key_prefix}…`,
      revoked_on: iso(row.revoked_at),
      status,
    };
  }
}
