import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fingerprint, upstreamKeyFor } from '../../src/storefront/idempotency';
import { PaymentLinkRequest, PaymentSessionRequest } from '../../src/storefront/schemas';
import { keyGuard } from '../../src/storefront/stubs';
import { caller, errorOf, linkBody, openMode, orderToken, sessionBody } from './helpers';
import { simPost } from './sim';

/** A key as a page makes one: a random UUID per attempt. */
const newKey = () => crypto.randomUUID();

/** Forgets every record of a key's guard object, as its expiry (or a lost `complete`) would. */
async function forgetRecords(key: string): Promise<void> {
  const guard = await keyGuard(env, key);
  await runInDurableObject(guard, (_instance, state) => {
    state.storage.sql.exec('DELETE FROM idempotency');
  });
}

describe('Idempotency-Key from the browser', () => {
  it('returns the same session for a double-click (same key, same body), marked replayed', async () => {
    const call = caller(openMode);
    const init = {
      json: sessionBody({ amount: 1000, currency: 'GBP' }),
      headers: { 'idempotency-key': `"${newKey()}"` },
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
    const headers = { 'idempotency-key': newKey() };
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
    const key = newKey();
    const body = sessionBody({ amount: 1000, currency: 'GBP' });
    // The first request has begun (recorded exactly as the route records it: over the validated body, in
    // the key's own object) and not finished.
    const guard = await keyGuard(env, key);
    const begun = await guard.begin({
      idempotency: {
        key,
        fingerprint: await fingerprint('POST', '/v1/payment-sessions', PaymentSessionRequest.parse(body)),
        leaseMs: 60_000,
        ttlMs: 60_000,
      },
    });
    expect(begun.kind).toBe('proceed');
    const res = await call('/v1/payment-sessions', { json: body, headers: { 'idempotency-key': key } });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).error_codes).toEqual(['idempotency_key_in_flight']);
  });

  it.each([
    ['/v1/payment-sessions', sessionBody({ amount: 1000, currency: 'GBP', reference: 'ORD-ADDR-1' })],
    ['/v1/payment-links', linkBody({ amount: 1000, currency: 'GBP', reference: 'ORD-ADDR-2' })],
  ] as const)(
    '%s: the same key from another address gets the first one; another key a new one',
    async (path, body) => {
      const key = newKey();
      const wifi = caller(openMode);
      const mobile = caller(openMode);
      expect(mobile.client).not.toBe(wifi.client);
      const first = await wifi(path, { json: body, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(201);
      const a = (await first.json()) as { id: string };
      // The shopper's phone moved to mobile data and retried the attempt: the stored answer, replayed.
      const retried = await mobile(path, { json: body, headers: { 'idempotency-key': key } });
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(((await retried.json()) as { id: string }).id).toBe(a.id);
      // With Bollard's record gone (expired, or never completed), the retry goes upstream again — under the
      // same Cko-Idempotency-Key, so Checkout.com answers with the first one instead of creating another.
      await forgetRecords(key);
      const upstream = await mobile(path, { json: body, headers: { 'idempotency-key': key } });
      expect(upstream.status).toBe(201);
      expect(upstream.headers.get('idempotent-replayed')).toBeNull();
      expect(((await upstream.json()) as { id: string }).id).toBe(a.id);
      // Another attempt (another key) is another session or link, from either address.
      const other = await wifi(path, { json: body, headers: { 'idempotency-key': newKey() } });
      expect(other.status).toBe(201);
      expect(((await other.json()) as { id: string }).id).not.toBe(a.id);
    },
  );

  it("forwards Bollard's own Cko-Idempotency-Key upstream, derived from the key and the request, not the address", async () => {
    const key = newKey();
    const body = linkBody({ amount: 1234, currency: 'GBP' });
    const res = await caller(openMode)('/v1/payment-links', {
      json: body,
      headers: { 'idempotency-key': key },
    });
    const link = (await res.json()) as { id: string };
    // Checkout.com (the simulator) replays its stored answer for that key: proof Bollard sent exactly it.
    const upstreamKey = await upstreamKeyFor(
      '/v1/payment-links',
      key,
      await fingerprint('POST', '/v1/payment-links', PaymentLinkRequest.parse(body)),
    );
    const direct = await simPost(
      '/payment-links',
      { amount: 1234, currency: 'GBP', billing: body.billing },
      upstreamKey,
    );
    expect(direct.body.id).toBe(link.id);
  });

  it('replays a signed-mode double-click without tripping the order-token replay guard', async () => {
    const call = caller();
    const token = await orderToken();
    const init = { json: sessionBody({ order_token: token }), headers: { 'idempotency-key': newKey() } };
    const first = await call('/v1/payment-sessions', init);
    const second = await call('/v1/payment-sessions', init);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(((await second.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it('replays a signed-mode attempt retried from another address; the token without its key is refused', async () => {
    const token = await orderToken();
    const key = newKey();
    const init = { json: sessionBody({ order_token: token }), headers: { 'idempotency-key': key } };
    const first = await caller()('/v1/payment-sessions', init);
    expect(first.status).toBe(201);
    const moved = await caller()('/v1/payment-sessions', init);
    expect(moved.status).toBe(201);
    expect(moved.headers.get('idempotent-replayed')).toBe('true');
    expect(((await moved.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    // The token with another key (or none) is another attempt at a spent order.
    for (const headers of [{ 'idempotency-key': newKey() }, {}] as Record<string, string>[]) {
      const other = await caller()('/v1/payment-sessions', { json: init.json, headers });
      expect(other.status).toBe(409);
      expect(other.headers.get('idempotent-replayed')).toBeNull();
      expect((await errorOf(other)).error_codes).toEqual(['order_token_replayed']);
    }
  });

  it('treats a key reused with another order token as a new order (its record lives with the token)', async () => {
    const call = caller();
    const headers = { 'idempotency-key': newKey() };
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

  it('refuses a create key too short to tell attempts apart, with 422 naming the header', async () => {
    const call = caller(openMode);
    for (const path of ['/v1/payment-sessions', '/v1/payment-links']) {
      const res = await call(path, {
        json: path.endsWith('sessions')
          ? sessionBody({ amount: 1000, currency: 'GBP' })
          : linkBody({ amount: 1000, currency: 'GBP' }),
        headers: { 'idempotency-key': 'order-1' },
      });
      expect(res.status).toBe(422);
      const err = await errorOf(res);
      expect(err.error_codes).toEqual(['idempotency_key_invalid']);
      expect(err.message).toContain('Idempotency-Key must be 16-255');
    }
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
