import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fingerprint, upstreamKeyFor } from '../../src/storefront/idempotency';
import { PaymentSessionRequest } from '../../src/storefront/schemas';
import { clientGuard } from '../../src/storefront/stubs';
import { caller, errorOf, linkBody, openMode, orderToken, sessionBody } from './helpers';
import { simPost } from './sim';

describe('Idempotency-Key from the browser', () => {
  it('returns the same session for a double-click (same key, same body), marked replayed', async () => {
    const call = caller(openMode);
    const init = {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
      headers: { 'idempotency-key': '"dbl-click-1"' },
    };
    const first = await call('/v1/payment-sessions', init);
    const second = await call('/v1/payment-sessions', init);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const a = (await first.json()) as { id: string };
    const b = (await second.json()) as { id: string };
    expect(b.id).toBe(a.id);
  });

  it('answers 422 for the same key with a different body', async () => {
    const call = caller(openMode);
    const headers = { 'idempotency-key': 'key-reuse-1' };
    expect(
      (await call('/v1/payment-links', { json: linkBody({ amount: 1000, currency: 'GBP' }), headers }))
        .status,
    ).toBe(201);
    const res = await call('/v1/payment-links', {
      json: linkBody({ amount: 2000, currency: 'GBP' }),
      headers,
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['idempotency_key_reused']);
  });

  it('answers 409 while the first request with the key is still in flight', async () => {
    const call = caller(openMode);
    const body = sessionBody({ amount: 1000, currency: 'GBP' });
    // The first request has begun (recorded exactly as the route records it: over the validated body) and
    // not finished.
    const guard = clientGuard(env, call.client);
    const begun = await guard.begin({
      idempotency: {
        // Records are keyed by the client and the browser's key (guarded-write.ts).
        key: `${call.client} in-flight-1`,
        fingerprint: await fingerprint('POST', '/v1/payment-sessions', PaymentSessionRequest.parse(body)),
        leaseMs: 60_000,
        ttlMs: 60_000,
      },
    });
    expect(begun.kind).toBe('proceed');
    const res = await call('/v1/payment-sessions', {
      json: body,
      headers: { 'idempotency-key': 'in-flight-1' },
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).error_codes).toEqual(['idempotency_key_in_flight']);
  });

  it('scopes keys per client: another client with the same key gets its own session', async () => {
    const init = {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
      headers: { 'idempotency-key': 'shared-key' },
    };
    const a = (await (await caller(openMode)('/v1/payment-sessions', init)).json()) as { id: string };
    const b = (await (await caller(openMode)('/v1/payment-sessions', init)).json()) as { id: string };
    expect(a.id).not.toBe(b.id);
  });

  it("forwards Bollard's own Cko-Idempotency-Key upstream, derived from the browser's key", async () => {
    const call = caller(openMode);
    const body = linkBody({ amount: 1234, currency: 'GBP' });
    const res = await call('/v1/payment-links', { json: body, headers: { 'idempotency-key': 'fwd-1' } });
    const link = (await res.json()) as { id: string };
    // Checkout.com (the simulator) replays its stored answer for that key: proof Bollard sent exactly it.
    const key = await upstreamKeyFor(call.client, '/v1/payment-links', 'fwd-1');
    const direct = await simPost(
      '/payment-links',
      { amount: 1234, currency: 'GBP', billing: body.billing },
      key,
    );
    expect(direct.body.id).toBe(link.id);
  });

  it('replays a signed-mode double-click without tripping the order-token replay guard', async () => {
    const call = caller();
    const token = await orderToken();
    const init = { json: sessionBody({ order_token: token }), headers: { 'idempotency-key': 'signed-dbl' } };
    const first = await call('/v1/payment-sessions', init);
    const second = await call('/v1/payment-sessions', init);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(((await second.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it("never answers another client's request from a record, even with the same order token and key", async () => {
    const token = await orderToken();
    const init = { json: sessionBody({ order_token: token }), headers: { 'idempotency-key': 'stolen-key' } };
    const first = await caller()('/v1/payment-sessions', init);
    expect(first.status).toBe(201);
    // Another address replaying the whole request gets the token's refusal, not the stored session secret.
    const other = await caller()('/v1/payment-sessions', init);
    expect(other.status).toBe(409);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect((await errorOf(other)).error_codes).toEqual(['order_token_replayed']);
  });

  it('treats a key reused with another order token as a new order (its record lives with the token)', async () => {
    const call = caller();
    const headers = { 'idempotency-key': 'reused-across-orders' };
    const sessions: Array<{ id: string; amount: number }> = [];
    for (const amount of [2500, 3100]) {
      const res = await call('/v1/payment-sessions', {
        json: sessionBody({ order_token: await orderToken({ amount }) }),
        headers,
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { id: string; payment_session_token: string };
      // Each session carries its own order: the second is not Checkout.com's replay of the first.
      const config = JSON.parse(atob(body.payment_session_token.split(':')[1] ?? '')) as { amount: number };
      sessions.push({ id: body.id, amount: config.amount });
    }
    expect(sessions.map((s) => s.amount)).toEqual([2500, 3100]);
    expect(sessions[1]?.id).not.toBe(sessions[0]?.id);
  });

  it('lets a failed request be retried with the same key', async () => {
    const call = caller(openMode);
    const headers = { 'idempotency-key': 'retry-after-failure' };
    const missing = await call('/v1/payment-sessions/ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ/submit', {
      json: { session_data: 'tok_abcdefghijklmnopqrstuvwxyz' },
      headers,
    });
    expect(missing.status).toBe(404);
    const again = await call('/v1/payment-sessions/ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ/submit', {
      json: { session_data: 'tok_abcdefghijklmnopqrstuvwxyz' },
      headers,
    });
    // Not a 409 or a replayed answer: the failure was not recorded.
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });
});
