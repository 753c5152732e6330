import * as z from 'zod';
import { type CatalogEntry, entryByName, minimalScopes } from '../../catalog';
import { BollardError } from '../../http';
import { withObjectDeadline } from '../model/deadlines';
import { describeFailure } from '../model/failure';
import { upstreamKeyFor } from '../model/idempotency';
import type { DecisionReason } from '../model/types';
import type { FinishRequest } from '../objects/agent/rpc';
import { agentObject } from '../objects/stubs';
import { agentsClient } from '../upstream-client';

/**
 * Revoke and roll back (docs/agents.md, "Revoke and roll back"): after a revocation, on request, void the
 * agent's own payments that still hold an open, uncaptured authorisation. Each candidate's status is read
 * first; only an `Authorized` payment is voided, through the one outbound client, with its own idempotency
 * key, and each void is a `start` + `outcome` in the agent's chain (channel `admin`).
 */

export type NotVoidedReason =
  /** Its status is no longer `Authorized` (captured, voided, declined, expired…): nothing to void. */
  | 'not_open'
  /** Checkout.com does not know it (any more). */
  | 'not_found'
  /** The status read failed: nothing was sent; run the revocation's void again. */
  | 'read_failed'
  /** Checkout.com refused the void (e.g. 403 action not allowed): nothing was voided. */
  | 'void_refused'
  /** The void failed before it was sent, or Checkout.com answered 5xx: not voided. */
  | 'void_failed'
  /** The void may or may not have happened: retrying the revocation's void sends it again with its key. */
  | 'outcome_unknown';

export interface VoidReport {
  voided: Array<{ payment_id: string; action_id: string | null; idempotency_key: string }>;
  not_voided: Array<{
    payment_id: string;
    reason: NotVoidedReason;
    /** The payment's status when it was read (`not_open`). */
    status?: string;
    upstream_status?: number;
    idempotency_key?: string;
  }>;
  /** Candidates beyond this request's batch: send the request again for them. */
  remaining: number;
}

const optionsSchema = z.strictObject({ void_open_authorizations: z.boolean().optional() });

/**
 * Whether a revocation also voids: `{ "void_open_authorizations": true }` in the body (POST), or
 * `?void_open_authorizations=true` (POST or DELETE). An empty body is no request; anything else that is not
 * that object is a 422 naming the field.
 */
export function parseRevokeOptions(body: string, query: string | undefined): boolean {
  if (query !== undefined && query !== 'true' && query !== 'false')
    throw new BollardError('request_invalid', {
      codes: ['void_open_authorizations_invalid'],
      message: 'void_open_authorizations: true or false',
    });
  let fromBody = false;
  if (body.trim() !== '') {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      throw new BollardError('request_malformed', {
        codes: ['body_invalid'],
        message: 'the body must be JSON',
        cause: err,
      });
    }
    const parsed = optionsSchema.safeParse(json);
    if (!parsed.success) {
      const path = parsed.error.issues[0]?.path.join('.') || 'body';
      const field = path === 'void_open_authorizations' ? path : 'body';
      throw new BollardError('request_invalid', {
        codes: [`${field}_invalid`],
        message: `${field}: ${field === 'body' ? 'only void_open_authorizations may be given' : 'true or false'}`,
      });
    }
    fromBody = parsed.data.void_open_authorizations === true;
  }
  return fromBody || query === 'true';
}

/** How many payments are read and voided at once. */
const CONCURRENCY = 4;

/** The void's key: fixed per agent and payment (a repeated request replays, never voids twice), no id in it. */
async function voidKey(agentId: string, paymentId: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${agentId} ${paymentId}`)),
  );
  return `revoke-void-${Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function entry(name: string): CatalogEntry {
  const found = entryByName(name);
  if (!found) throw new TypeError(`no catalog entry ${name}`);
  return found;
}

/** Voids what the revoked agent left open; the agent must already be revoked (no new authorisations). */
export async function voidOpenAuthorizations(
  env: Env,
  agentId: string,
  requestId: string,
): Promise<VoidReport> {
  const stub = agentObject(env, agentId);
  const { ids, remaining } = await withObjectDeadline(stub.voidCandidates(Date.now()), 'the agent');
  const getPayment = entry('getPayment');
  const voidPayment = entry('voidPayment');
  const client = agentsClient(env, minimalScopes([getPayment, voidPayment]));
  const report: VoidReport = { voided: [], not_voided: [], remaining };

  const finish = async (
    seq: number,
    startedMs: number,
    fields: Pick<
      FinishRequest,
      'decision' | 'reason' | 'upstreamStatus' | 'upstreamRequestId' | 'idempotencyKey'
    >,
  ) => {
    const now = Date.now();
    await withObjectDeadline(
      stub.finish({
        seq,
        atMs: now,
        latencyMs: Math.max(0, now - startedMs),
        amount: null,
        currency: null,
        release: null,
        ...fields,
      }),
      'the audit log',
    );
  };

  const voidOne = async (paymentId: string): Promise<void> => {
    let read: Awaited<ReturnType<typeof client.send>>;
    try {
      read = await client.send(getPayment, { params: { id: paymentId } });
    } catch {
      report.not_voided.push({ payment_id: paymentId, reason: 'read_failed' });
      return;
    }
    if (read.status === 404) {
      report.not_voided.push({ payment_id: paymentId, reason: 'not_found', upstream_status: 404 });
      return;
    }
    const body = read.body as { status?: unknown } | null;
    const status = typeof body?.status === 'string' ? body.status : null;
    if (read.status !== 200 || status === null) {
      report.not_voided.push({ payment_id: paymentId, reason: 'read_failed', upstream_status: read.status });
      return;
    }
    if (status !== 'Authorized') {
      report.not_voided.push({ payment_id: paymentId, reason: 'not_open', status });
      return;
    }
    const key = await voidKey(agentId, paymentId);
    const startedMs = Date.now();
    const seq = await withObjectDeadline(stub.startOperatorVoid(requestId, key, startedMs), 'the agent');
    if (seq === null) throw new TypeError('the agent vanished while voiding');
    try {
      const res = await client.send(voidPayment, {
        params: { id: paymentId },
        body: {},
        idempotencyKey: await upstreamKeyFor(agentId, key),
      });
      const ok = res.status >= 200 && res.status < 300;
      const failed = res.status >= 500 || res.status === 401;
      await finish(seq, startedMs, {
        decision: failed ? 'failed' : 'allowed',
        reason: failed ? 'upstream_failed' : 'allowed',
        upstreamStatus: res.status,
        upstreamRequestId: res.requestId,
        idempotencyKey: key,
      });
      if (ok) {
        const action = (res.body as { action_id?: unknown } | null)?.action_id;
        report.voided.push({
          payment_id: paymentId,
          action_id: typeof action === 'string' ? action : null,
          idempotency_key: key,
        });
      } else
        report.not_voided.push({
          payment_id: paymentId,
          reason: failed ? 'void_failed' : 'void_refused',
          upstream_status: res.status,
          idempotency_key: key,
        });
    } catch (err) {
      const failure = describeFailure(err, { entry: voidPayment, key, mayHaveActed: true });
      const reason: DecisionReason = failure.unknown ? 'outcome_unknown' : 'upstream_failed';
      await finish(seq, startedMs, {
        decision: 'failed',
        reason,
        upstreamStatus: failure.upstreamStatus,
        upstreamRequestId: failure.upstreamRequestId,
        idempotencyKey: key,
      });
      report.not_voided.push({
        payment_id: paymentId,
        reason: failure.unknown ? 'outcome_unknown' : 'void_failed',
        ...(failure.upstreamStatus !== null ? { upstream_status: failure.upstreamStatus } : {}),
        idempotency_key: key,
      });
    }
  };

  const queue = [...ids];
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await voidOne(id);
    }),
  );
  // Newest first, as the candidates came, whatever order the workers finished in.
  const order = new Map(ids.map((id, i) => [id, i]));
  const byOrder = (a: { payment_id: string }, b: { payment_id: string }) =>
    (order.get(a.payment_id) ?? 0) - (order.get(b.payment_id) ?? 0);
  report.voided.sort(byOrder);
  report.not_voided.sort(byOrder);
  return report;
}
