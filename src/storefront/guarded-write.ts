import { isCheckoutError, type UpstreamResponse } from '../checkout';
import { BollardError } from '../http';
import { fingerprint, IDEMPOTENCY_TTL_MS } from './idempotency';
import { clientIdOf } from './middleware';
import type { ResolvedOrder } from './policy';
import { type Ctx, jsonResponse } from './route-helpers';

/**
 * A storefront write: the browser's `Idempotency-Key` record in its client's guard (replay, 409 while
 * in flight, 422 for another body), the order token's one-time use, the upstream call under one
 * `Cko-Idempotency-Key`, and the cleanup that lets a failed request be retried.
 *
 * Only a 2xx is recorded as the key's final answer. Every failure — a 4xx, a 5xx, and above all a
 * `504 upstream_outcome_unknown` — releases the record before the answer goes out, so a retry with the
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

export async function guardedWrite(c: Ctx, spec: GuardedWrite): Promise<Response> {
  const key = spec.guardKey;
  const guard = key === null ? null : c.env.STOREFRONT_GUARD.getByName(`client:${clientIdOf(c.req)}`);
  const fp = key === null ? '' : await fingerprint('POST', spec.route, spec.body);
  if (guard && key !== null) {
    const begun = await guard.beginIdempotent({
      key,
      fingerprint: fp,
      leaseMs: spec.leaseMs,
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
    switch (begun.kind) {
      case 'replay':
        return jsonResponse(begun.status, begun.body, true);
      case 'in_flight':
        throw new BollardError('conflict', {
          codes: ['idempotency_key_in_flight'],
          message: 'a request with this Idempotency-Key is still being processed; retry shortly',
          retryAfter: 1,
        });
      case 'mismatch':
        throw new BollardError('idempotency_key_reused', {
          codes: ['idempotency_key_reused'],
          message: 'this Idempotency-Key was used with a different request body',
        });
      case 'proceed':
        break;
    }
  }
  const token = spec.order?.token ?? null;
  const orderGuard = token ? c.env.STOREFRONT_GUARD.getByName(`order:${token.jti}`) : null;
  let claimed = false;
  let res: UpstreamResponse;
  try {
    if (orderGuard && token) {
      claimed = await orderGuard.claimOrder(token.jti, token.expiresAtMs);
      if (!claimed) {
        throw new BollardError('conflict', {
          codes: ['order_token_replayed'],
          message: 'this order token was already used; the merchant must sign a new one',
        });
      }
    }
    res = await spec.send();
  } catch (err) {
    if (guard && key !== null) {
      // Should this fail, the lease still ends the claim; the caller's answer must not change for it.
      await bestEffort(c, 'idempotency record not released', () => guard.abandonIdempotent(key, fp));
    }
    // Give the token back only when a retry cannot create a second object: Checkout.com refused the call,
    // or the retry will carry the same Cko-Idempotency-Key (derived from the browser's key).
    if (claimed && orderGuard && token && (upstreamRefused(err) || key !== null)) {
      await orderGuard.releaseOrder(token.jti);
    }
    throw err;
  }
  const text = JSON.stringify(res.body);
  if (guard && key !== null) {
    // It happened upstream: a failure to record the replay must not turn the answer into an error.
    await bestEffort(c, 'idempotency record not completed', () =>
      guard.completeIdempotent(key, fp, res.status, text),
    );
  }
  return jsonResponse(res.status, text, false);
}
