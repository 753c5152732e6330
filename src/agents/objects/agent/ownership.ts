import { type CatalogEntry, minimalScopes } from '../../../catalog';
import type { CheckoutClient } from '../../../checkout/contract';
import type { EntryInput } from '../../model/audit-entry';
import { describeFailure } from '../../model/failure';
import { allowedEntries, grantAllows } from '../../model/policy';
import {
  type CreatedObject,
  disputedPayment,
  matchesFingerprint,
  type OwnedKind,
  objectRule,
  scopeNeed,
  scopeOf,
  statusReadFor,
} from '../../model/scope';
import type { Decision, DecisionReason } from '../../model/types';
import { agentsClient } from '../../upstream-client';
import { type AuthenticatedAgent, identity, profileOf } from './profile';
import { type BeginRequest, type PlainFailure, plainFailure } from './rpc';
import type { AgentStores } from './state';

/**
 * What the agent owns (docs/agents.md, "Object scope"), in its own object: the objects its creating calls'
 * answers named, and the creations still without one (in flight, or lost to an unknown outcome). Checked
 * inside `begin`, the round trip every call already makes; recorded by `begin` (the start of a creating
 * call) and `finish` (its answer). Synchronous SQL, except the status reads a check may make upstream.
 */
export const OWNERSHIP_SCHEMA = `
  CREATE TABLE IF NOT EXISTS owned_objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    created_seq INTEGER,
    at_ms INTEGER NOT NULL,
    via TEXT NOT NULL,
    status TEXT,
    PRIMARY KEY (kind, id)
  );
  CREATE INDEX IF NOT EXISTS owned_objects_at ON owned_objects (kind, at_ms);
  CREATE TABLE IF NOT EXISTS pending_creations (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    idem_key TEXT,
    state TEXT NOT NULL,
    reference TEXT,
    amount INTEGER,
    currency TEXT,
    at_ms INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS pending_creations_kind ON pending_creations (kind, state, at_ms);
`;

/** How an object became the agent's. */
export type OwnedVia =
  /** The creating call's own answer named it. */
  | 'answer'
  /** A retry with the key of a creation whose outcome was unknown got the original answer. */
  | 'retry'
  /** A read of the object matched a creation whose outcome was unknown (reference, amount, currency). */
  | 'status_read'
  /** A dispute on a payment the agent owns. */
  | 'payment';

/** A creation lost to an unknown outcome stays matchable as long as its key could still be retried. */
const LOST_CREATION_TTL_MS = 24 * 3_600_000;
/** A creation younger than this without an outcome is still in flight (past any call's deadline it is not). */
const IN_FLIGHT_MS = 60_000;
/** How long a call on an unknown object waits for creations in flight to be answered. */
export const CREATION_WAIT_MS = 2_000;

/**
 * Wakes calls waiting for a creation's outcome (`finish`): a creating call's answer reaches the agent
 * before its `finish` may reach the object, so the agent's next call — on the object just created — can
 * arrive first. Per object instance, in memory: `begin` and `finish` run on the same one.
 */
export class CreationSignal {
  readonly #waiters = new Set<() => void>();

  /** Resolves at the next `notify`, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  notify(): void {
    for (const done of [...this.#waiters]) done();
  }
}

export function isOwned(sql: SqlStorage, kind: OwnedKind, id: string): boolean {
  return sql.exec('SELECT 1 FROM owned_objects WHERE kind = ? AND id = ?', kind, id).toArray().length > 0;
}

export function own(
  sql: SqlStorage,
  object: { kind: OwnedKind; id: string; status: string | null },
  seq: number | null,
  via: OwnedVia,
  nowMs: number,
): void {
  sql.exec(
    `INSERT INTO owned_objects (kind, id, created_seq, at_ms, via, status) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, id) DO NOTHING`,
    object.kind,
    object.id,
    seq,
    nowMs,
    via,
    object.status,
  );
}

/** Records that the started call `seq` creates an object: in flight until its outcome. */
export function recordCreationStart(
  sql: SqlStorage,
  seq: number,
  entry: CatalogEntry,
  request: Pick<BeginRequest, 'key' | 'object'>,
  nowMs: number,
): void {
  const rule = objectRule(entry);
  if (rule.kind !== 'creates') return;
  const fingerprint = request.object?.fingerprint ?? null;
  sql.exec('DELETE FROM pending_creations WHERE at_ms <= ?', nowMs - LOST_CREATION_TTL_MS);
  sql.exec(
    `INSERT OR REPLACE INTO pending_creations (seq, kind, idem_key, state, reference, amount, currency, at_ms)
     VALUES (?, ?, ?, 'in_flight', ?, ?, ?, ?)`,
    seq,
    rule.object,
    request.key,
    fingerprint?.reference ?? null,
    fingerprint?.amount ?? null,
    fingerprint?.currency ?? null,
    nowMs,
  );
}

/** How a started call ended, as far as its creation goes. */
export interface CreationOutcome {
  decision: Decision;
  reason: DecisionReason;
  upstreamStatus: number | null;
  created?: CreatedObject | null;
  atMs: number;
}

/**
 * Settles the creation a start made, at its outcome: the object its answer named is owned (with every
 * creation under the same key: a retry's answer is the original's); an unknown outcome (504, or a start
 * the sweep found without one, or a 2xx naming no object) leaves it to a retry or a status read; anything
 * else created nothing. A no-op for calls that create nothing.
 */
export function settleCreation(sql: SqlStorage, seq: number, outcome: CreationOutcome): void {
  const row = sql
    .exec<{ kind: string; idem_key: string | null }>(
      'SELECT kind, idem_key FROM pending_creations WHERE seq = ?',
      seq,
    )
    .toArray()[0];
  if (!row) return;
  const created = outcome.created ?? null;
  if (created) {
    const lost =
      row.idem_key !== null &&
      sql
        .exec(
          "SELECT 1 FROM pending_creations WHERE kind = ? AND idem_key = ? AND state = 'unknown' AND seq <> ?",
          row.kind,
          row.idem_key,
          seq,
        )
        .toArray().length > 0;
    own(sql, created, seq, lost ? 'retry' : 'answer', outcome.atMs);
    if (row.idem_key !== null)
      sql.exec('DELETE FROM pending_creations WHERE kind = ? AND idem_key = ?', row.kind, row.idem_key);
    sql.exec('DELETE FROM pending_creations WHERE seq = ?', seq);
    return;
  }
  const answered2xx =
    outcome.upstreamStatus !== null && outcome.upstreamStatus >= 200 && outcome.upstreamStatus < 300;
  const unknown =
    outcome.reason === 'outcome_unknown' ||
    outcome.reason === 'outcome_unrecorded' ||
    (outcome.decision === 'allowed' && answered2xx);
  if (unknown) sql.exec("UPDATE pending_creations SET state = 'unknown' WHERE seq = ?", seq);
  else sql.exec('DELETE FROM pending_creations WHERE seq = ?', seq);
}

function countCreations(
  sql: SqlStorage,
  kind: OwnedKind,
  state: 'in_flight' | 'unknown',
  since: number,
): number {
  return sql
    .exec<{ n: number }>(
      'SELECT COUNT(*) AS n FROM pending_creations WHERE kind = ? AND state = ? AND at_ms > ?',
      kind,
      state,
      since,
    )
    .one().n;
}

interface LostCreation extends Record<string, SqlStorageValue> {
  seq: number;
  reference: string | null;
  amount: number | null;
  currency: string | null;
}

/** What `checkObjectScope` may use inside the agent's object. */
export interface OwnershipPorts {
  env: Env;
  sql: SqlStorage;
  settled: CreationSignal;
  /** After an await: is the agent still unrevoked and holding the grant? */
  stillAllowed(entry: CatalogEntry): boolean;
  now(): number;
}

/** The ports over an agent object's stores; the profile is re-read for `stillAllowed`. */
export function ownershipPorts(env: Env, stores: AgentStores, settled: CreationSignal): OwnershipPorts {
  return {
    env,
    sql: stores.sql,
    settled,
    stillAllowed: (entry) => {
      const row = profileOf(stores);
      return row !== undefined && row.revoked_at === null && grantAllows(identity(row).grants, entry);
    },
    now: () => Date.now(),
  };
}

export type ScopeOutcome =
  | { kind: 'ok' }
  | {
      kind: 'refused';
      reason: Extract<DecisionReason, 'object_not_owned' | 'grant_required'>;
      message: string;
    }
  /** A status read failed (nothing was sent): recorded and answered as the money lookup's failure is. */
  | {
      kind: 'failed';
      entry: Pick<
        EntryInput,
        'decision' | 'reason' | 'upstream_status' | 'upstream_request_id' | 'idempotency_key'
      >;
      failure: PlainFailure;
    };

/**
 * The object scope of one call, before anything is sent (docs/agents.md, "Object scope"). Under `own`, the
 * object the call names must be the agent's: recorded from a creating call's answer; else a dispute whose
 * payment is the agent's (one read of the dispute); else, while a creation of that kind is in flight, the
 * object once its answer arrives (a bounded wait); else a creation whose outcome was lost that a read of
 * the object matches. Anything else is `object_not_owned`, whether or not the object exists.
 */
export async function checkObjectScope(
  entry: CatalogEntry,
  request: Pick<BeginRequest, 'params' | 'object' | 'givenKey'>,
  agent: AuthenticatedAgent,
  ports: OwnershipPorts,
): Promise<ScopeOutcome> {
  const need = scopeNeed(
    entry,
    request.params,
    request.object,
    scopeOf(agent.scope, agent.grants, entry.area),
  );
  if (need.kind === 'none') return { kind: 'ok' };
  if (need.kind === 'refused') return { kind: 'refused', reason: 'object_not_owned', message: need.message };
  const { sql } = ports;
  const { object, id } = need;
  const notOwned: ScopeOutcome = {
    kind: 'refused',
    reason: 'object_not_owned',
    message: `${entry.name}: this agent's scope on ${entry.area} is own, and this ${object.replace('_', ' ')} is not one it created through Bollard`,
  };
  if (isOwned(sql, object, id)) return { kind: 'ok' };

  let awaited = false;
  const client = () => agentsClient(ports.env, minimalScopes(allowedEntries(agent.grants)));
  try {
    if (object === 'dispute') {
      awaited = true;
      const read = await client().send('getDispute', { params: { id } });
      const payment = read.status === 200 ? disputedPayment(read.body) : null;
      if (payment !== null && isOwned(sql, 'payment', payment))
        own(sql, { kind: 'dispute', id, status: null }, null, 'payment', ports.now());
    } else {
      const until = ports.now() + CREATION_WAIT_MS;
      while (
        !isOwned(sql, object, id) &&
        countCreations(sql, object, 'in_flight', ports.now() - IN_FLIGHT_MS) > 0
      ) {
        const left = until - ports.now();
        if (left <= 0) break;
        awaited = true;
        await ports.settled.wait(left);
      }
      if (!isOwned(sql, object, id)) awaited = (await adoptLost(sql, object, id, ports, client)) || awaited;
    }
  } catch (err) {
    // A read made before anything was sent: nothing can have moved.
    const failure = describeFailure(err, { entry, key: request.givenKey, mayHaveActed: false });
    return {
      kind: 'failed',
      entry: {
        decision: 'failed',
        reason: 'upstream_failed',
        upstream_status: failure.upstreamStatus,
        upstream_request_id: failure.upstreamRequestId,
        idempotency_key: failure.idempotencyKey,
      },
      failure: plainFailure(failure),
    };
  }
  if (awaited && !ports.stillAllowed(entry))
    return { kind: 'refused', reason: 'grant_required', message: 'the agent no longer holds this grant' };
  return isOwned(sql, object, id) ? { kind: 'ok' } : notOwned;
}

/**
 * A status read for creations lost to an unknown outcome: reads the object and, when it is what one of
 * them made (`matchesFingerprint`), records it as owned and that creation as settled. True when it read.
 */
async function adoptLost(
  sql: SqlStorage,
  object: OwnedKind,
  id: string,
  ports: OwnershipPorts,
  client: () => CheckoutClient,
): Promise<boolean> {
  const read = statusReadFor(object);
  if (read === null) return false;
  const lost = () =>
    sql
      .exec<LostCreation>(
        `SELECT seq, reference, amount, currency FROM pending_creations
         WHERE kind = ? AND state = 'unknown' AND reference IS NOT NULL AND at_ms > ? ORDER BY seq`,
        object,
        ports.now() - LOST_CREATION_TTL_MS,
      )
      .toArray();
  if (lost().length === 0) return false;
  const answer = await client().send(read, { params: { id } });
  if (answer.status !== 200) return true;
  // Re-read after the await: another call may have settled a creation meanwhile.
  const match = lost().find((c) => matchesFingerprint(c, answer.body));
  if (match && !isOwned(sql, object, id)) {
    const body = answer.body as Record<string, unknown> | null;
    const status = object === 'payment' && typeof body?.status === 'string' ? body.status : null;
    own(sql, { kind: object, id, status }, match.seq, 'status_read', ports.now());
    sql.exec('DELETE FROM pending_creations WHERE seq = ?', match.seq);
  }
  return true;
}

/** What the agent owns and has pending, for the admin view. */
export function ownershipSummary(sql: SqlStorage): { owned: Record<string, number>; unresolved: number } {
  const owned = Object.fromEntries(
    sql
      .exec<{ kind: string; n: number }>('SELECT kind, COUNT(*) AS n FROM owned_objects GROUP BY kind')
      .toArray()
      .map((r) => [r.kind, r.n]),
  );
  const unresolved = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending_creations WHERE state = 'unknown'")
    .one().n;
  return { owned, unresolved };
}
