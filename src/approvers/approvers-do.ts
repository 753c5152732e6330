import { DurableObject } from 'cloudflare:workers';
import type { ApproverRecord, ChallengePurpose, ChallengeRow } from './types';

/** Outstanding challenges kept at most: the oldest go first (each lives minutes; this only bounds a flood). */
const MAX_CHALLENGES = 1_000;

interface ApproverSqlRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  credential_id: string;
  public_key: ArrayBuffer;
  counter: number;
  transports: string;
  rp_id: string;
  device_type: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
  pending_until: number | null;
}

function record(r: ApproverSqlRow): ApproverRecord {
  return {
    id: r.id,
    name: r.name,
    credential_id: r.credential_id,
    public_key: new Uint8Array(r.public_key),
    counter: r.counter,
    transports: JSON.parse(r.transports) as string[],
    rp_id: r.rp_id,
    device_type: r.device_type,
    backed_up: r.backed_up === 1,
    created_at: r.created_at,
    last_used_at: r.last_used_at,
  };
}

export type AddResult = 'added' | 'pending' | 'credential_exists' | 'not_first';

/**
 * The deployment's approvers (people who may approve an agent's call, each with one passkey) and the
 * WebAuthn challenges issued to them. A new approver whose passkey verified but who still needs an
 * existing approver's consent is kept as a pending row (`pending_until`: five minutes), invisible to
 * everything but `getPending` and `activate`; its credential id is taken all the same. One instance (`approvers(env)`, stubs.ts). It only stores: the
 * WebAuthn checks run in the operator module (src/approvers/passkey.ts), which keeps the library out of
 * the main module. Never on a call's path: only operators' registrations and decisions reach it.
 */
export class Approvers extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS approvers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        credential_id TEXT NOT NULL UNIQUE,
        public_key BLOB NOT NULL,
        counter INTEGER NOT NULL,
        transports TEXT NOT NULL,
        rp_id TEXT NOT NULL,
        device_type TEXT NOT NULL,
        backed_up INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        pending_until INTEGER
      );
      CREATE TABLE IF NOT EXISTS challenges (
        challenge TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        subject TEXT NOT NULL,
        nonce TEXT NOT NULL,
        approver_id TEXT NOT NULL,
        rp_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS challenges_expiry ON challenges (expires_at);
    `);
  }

  /** The active approvers, oldest first. */
  list(): ApproverRecord[] {
    return this.ctx.storage.sql
      .exec<ApproverSqlRow>('SELECT * FROM approvers WHERE pending_until IS NULL ORDER BY created_at, id')
      .toArray()
      .map(record);
  }

  /** An active approver. */
  get(id: string): ApproverRecord | null {
    const row = this.ctx.storage.sql
      .exec<ApproverSqlRow>('SELECT * FROM approvers WHERE id = ? AND pending_until IS NULL', id)
      .toArray()[0];
    return row ? record(row) : null;
  }

  /** A pending approver, while its consent window lasts. */
  getPending(id: string, nowMs: number): ApproverRecord | null {
    const row = this.ctx.storage.sql
      .exec<ApproverSqlRow>('SELECT * FROM approvers WHERE id = ? AND pending_until > ?', id, nowMs)
      .toArray()[0];
    return row ? record(row) : null;
  }

  /**
   * Stores a verified approver: active, or pending until `pendingUntil` when it still needs a sponsor's
   * consent. `first`: added without anyone's consent, which is allowed only while there is no active
   * approver (checked here, atomically, so two racing first registrations cannot both win).
   */
  add(r: ApproverRecord, options: { first: boolean; pendingUntil: number | null }, nowMs: number): AddResult {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM approvers WHERE pending_until IS NOT NULL AND pending_until <= ?', nowMs);
    if (
      options.first &&
      sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM approvers WHERE pending_until IS NULL').one().n > 0
    )
      return 'not_first';
    const taken = sql.exec('SELECT 1 FROM approvers WHERE credential_id = ?', r.credential_id).toArray();
    if (taken.length > 0) return 'credential_exists';
    sql.exec(
      `INSERT INTO approvers (id, name, credential_id, public_key, counter, transports, rp_id, device_type, backed_up,
         created_at, last_used_at, pending_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.name,
      r.credential_id,
      r.public_key.slice().buffer,
      r.counter,
      JSON.stringify(r.transports),
      r.rp_id,
      r.device_type,
      r.backed_up ? 1 : 0,
      r.created_at,
      r.last_used_at,
      options.pendingUntil,
    );
    return options.pendingUntil === null ? 'added' : 'pending';
  }

  /** Makes a pending approver active (its sponsor consented); false when it is not pending any more. */
  activate(id: string, nowMs: number): boolean {
    const sql = this.ctx.storage.sql;
    if (!this.getPending(id, nowMs)) return false;
    sql.exec('UPDATE approvers SET pending_until = NULL WHERE id = ?', id);
    return true;
  }

  /** Removes an active approver (false: there was none); the challenges issued to it go too. */
  remove(id: string): boolean {
    const sql = this.ctx.storage.sql;
    const existed = this.get(id) !== null;
    sql.exec('DELETE FROM approvers WHERE id = ?', id);
    sql.exec('DELETE FROM challenges WHERE approver_id = ?', id);
    return existed;
  }

  /**
   * Records a verified use of the approver's passkey: the new signature counter, which must move forward
   * unless the authenticator does not count (0 before and after). A counter that went back means a cloned
   * authenticator (WebAuthn §6.1.1): refused, and nothing is written.
   */
  recordUse(id: string, credentialId: string, counter: number, nowMs: number): boolean {
    const row = this.get(id);
    if (!row || row.credential_id !== credentialId) return false;
    if (!(counter > row.counter || (counter === 0 && row.counter === 0))) return false;
    this.ctx.storage.sql.exec(
      'UPDATE approvers SET counter = ?, last_used_at = ? WHERE id = ?',
      counter,
      nowMs,
      id,
    );
    return true;
  }

  /** Stores challenges (all or none), pruning expired ones and, past `MAX_CHALLENGES`, the oldest. */
  putChallenges(rows: ChallengeRow[], nowMs: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM challenges WHERE expires_at <= ?', nowMs);
    for (const c of rows)
      sql.exec(
        `INSERT INTO challenges (challenge, purpose, subject, nonce, approver_id, rp_id, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        c.challenge,
        c.purpose,
        c.subject,
        c.nonce,
        c.approver_id,
        c.rp_id,
        c.expires_at,
      );
    sql.exec(
      `DELETE FROM challenges WHERE challenge IN (
         SELECT challenge FROM challenges ORDER BY expires_at DESC LIMIT -1 OFFSET ?)`,
      MAX_CHALLENGES,
    );
  }

  /** Takes a challenge: it is deleted whatever happens next (single use), and returned if still live. */
  takeChallenge(challenge: string, nowMs: number): ChallengeRow | null {
    const sql = this.ctx.storage.sql;
    const row = sql
      .exec<Record<string, SqlStorageValue>>('SELECT * FROM challenges WHERE challenge = ?', challenge)
      .toArray()[0];
    if (!row) return null;
    sql.exec('DELETE FROM challenges WHERE challenge = ?', challenge);
    if (Number(row.expires_at) <= nowMs) return null;
    return {
      challenge: String(row.challenge),
      purpose: String(row.purpose) as ChallengePurpose,
      subject: String(row.subject),
      nonce: String(row.nonce),
      approver_id: String(row.approver_id),
      rp_id: String(row.rp_id),
      expires_at: Number(row.expires_at),
    };
  }
}
