import { isCheckoutError, type UpstreamResponse } from '../checkout';
import { BollardError } from '../http';
import type { GuardBeginInput, GuardReleaseInput, IdempotencyRecord, StorefrontGuard } from './guard-do';
import { fingerprint, IDEMPOTENCY_TTL_MS } from './idempotency';
import type { ResolvedOrder } from './policy';
import { afterAnswer, type Ctx, jsonResponse } from './route-helpers';
import { keyGuard, orderGuard } from './stubs';

/**
 * A storefront write: the browser's `Idempotency-Key` record (replay, 409 while in flight, 422 for another
 * body), the order token's one-time use, the upstream call under one `Cko-Idempotency-Key`, and the
 * cleanup that lets a failed request be retried.
 *
 * The hot-path budget: one guard round trip before the upstream call, and only when there is something
 * to guard. The key's record and the token's live in one object (the token's, when the request carries
 * one; else the key's), so a request with both makes one call, and one with neither makes none.
 *
 * Only a 2xx is recorded as the key's final answer, after the response has gone (`waitUntil`): until then
 * a repeat gets 409 `idempotency_key_in_flight` with `Retry-After: 1`, as for any request still running,
 * and should the recording be lost the lease ends the claim. Every failure — a 4xx, a 5xx, and above all
 * a `504 upstream_outcome_unknown` — releases the record before the answer goes out, so a retry with the
 * same key goes upstream again under the same `Cko-Idempotency-Key` and gets Checkout.com's stored
 * original outcome, instead of a 409 or a replayed "unknown".
 */
export interface GuardedWrite {
  /** Route (with ids filled in): part of the fingerprint. */
  route: string;
  /** The validated body: the rest of the fingerprint. */
  body: unknown;
  order: ResolvedOrder | null;
  /** The key the guard records the request under; null: no record (no key from the browser). */
  guardKey: string | null;
  /** How long an unfinished request holds `guardKey`, should it never finish (a crashed isolate). */
  leaseMs: number;
  /** Sends the call upstream; the caller has fixed its `Cko-Idempotency-Key`. */
  send: () => Promise<UpstreamResponse>;
}

/** True when Checkout.com certainly did not act on the call (it answered with a 4xx). */
function upstreamRefused(err: unknown): boolean {
  return isCheckoutError(err) && err.upstreamStatus !== null && err.upstreamStatus < 500;
}

async function bestEffort(c: Ctx, failure: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    c.get('log').warn(failure, { error: err });
  }
}

function refusal(kind: 'in_flight' | 'mismatch' | 'order_used'): BollardError {
  switch (kind) {
    case 'in_flight':
      return new BollardError('conflict', {
        codes: ['idempotency_key_in_flight'],
        message: 'a request with this Idempotency-Key is still being processed; retry shortly',
        retryAfter: 1,
      });
    case 'mismatch':
      return new BollardError('idempotency_key_reused', {
        codes: ['idempotency_key_reused'],
        message: 'this Idempotency-Key was used with a different request body',
      });
    case 'order_used':
      return new BollardError('conflict', {
        codes: ['order_token_replayed'],
        message: 'this order token was already used; the merchant must sign a new one',
      });
  }
}

/**
 * The guard object a write's records live in: the order token's when it carries one (a token's use must
 * be global), else the key's (`key:` and a hash of it, so object names never show a key); null when there
 * is nothing to record. Never the client's address: a retry from another address must find its record.
 */
async function guardOf(c: Ctx, spec: GuardedWrite): Promise<DurableObjectStub<StorefrontGuard> | null> {
  const token = spec.order?.token ?? null;
  if (token !== null) return orderGuard(c.env, token.jti);
  if (spec.guardKey !== null) return keyGuard(c.env, spec.guardKey);
  return null;
}

export async function guardedWrite(c: Ctx, spec: GuardedWrite): Promise<Response> {
  const guard = await guardOf(c, spec);
  if (guard === null) {
    const res = await spec.send();
    return jsonResponse(res.status, JSON.stringify(res.body), false);
  }
  const token = spec.order?.token ?? null;
  // The key identifies the attempt, wherever it is retried from: the same key and body replay the first
  // answer; the key with another body is refused (422), in a token's object as in the key's own.
  const record: IdempotencyRecord | null =
    spec.guardKey === null
      ? null
      : { key: spec.guardKey, fingerprint: await fingerprint('POST', spec.route, spec.body) };
  const input: GuardBeginInput = {};
  if (record) input.idempotency = { ...record, leaseMs: spec.leaseMs, ttlMs: IDEMPOTENCY_TTL_MS };
  if (token) input.order = { jti: token.jti, expiresAtMs: token.expiresAtMs };
  const begun = await guard.begin(input);
  switch (begun.kind) {
    case 'replay':
      return jsonResponse(begun.status, begun.body, true);
    case 'in_flight':
    case 'mismatch':
    case 'order_used':
      throw refusal(begun.kind);
    case 'proceed':
      break;
  }
  let res: UpstreamResponse;
  try {
    res = await spec.send();
  } catch (err) {
    const release: GuardReleaseInput = {};
    if (record) release.idempotency = record;
    // Give the token back only when a retry cannot create a second object: Checkout.com refused the call,
    // or the retry will carry the same Cko-Idempotency-Key (derived from the browser's key).
    if (token && (upstreamRefused(err) || record)) release.jti = token.jti;
    if (release.idempotency || release.jti !== undefined) {
      // Should this fail, the lease still ends the claim; the caller's answer must not change for it.
      await bestEffort(c, 'guard records not released', () => guard.release(release));
    }
    throw err;
  }
  const text = JSON.stringify(res.body);
  if (record) {
    // It happened upstream: recording the replay must neither delay the answer nor turn it into an error.
    await afterAnswer(c, 'idempotency record', () => guard.complete(record, res.status, text));
  }
  return jsonResponse(res.status, text, false);
}
