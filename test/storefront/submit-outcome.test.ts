import { describe, expect, it, vi } from 'vitest';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { submitKeyFor } from '../../src/storefront/submit-key';
import { type Caller, caller, errorOf, ORIGIN, openMode, sessionBody } from './helpers';
import { cardToken, paymentsByReference, simPost, withSlowSubmit } from './sim';

/**
 * "Never tell a caller a payment happened when it did not, or did not when it did": the submit's one
 * `Cko-Idempotency-Key`, its answers (2xx, errors, 504 unknown) and the retry after an unknown outcome,
 * against the simulator.
 */

interface Payment {
  id: string;
  status: string;
}

interface Status {
  session_id: string;
  status: string;
  payment_id?: string;
  source: string;
}

const CARD = '4242424242424242';
const DECLINE_CARD = '4544 2491 6767 3670';

/** Every body a test saw, to check that none carries card data or a secret. */
const seen: string[] = [];

async function text(res: Response): Promise<string> {
  const t = await res.clone().text();
  seen.push(t, [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n'));
  return t;
}

async function newSession(call: Caller, amount = 1500): Promise<{ id: string; reference: string }> {
  const reference = `SF-${crypto.randomUUID().slice(0, 12)}`;
  const res = await call('/v1/payment-sessions', {
    json: sessionBody({ amount, currency: 'GBP', reference }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return { id, reference };
}

function submit(call: Caller, id: string, token: string, key?: string, origin?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers['idempotency-key'] = key;
  if (origin !== undefined) headers.origin = origin;
  return call(`/v1/payment-sessions/${id}/submit`, { json: { session_data: token }, headers });
}

async function status(call: Caller, id: string): Promise<{ res: Response; body: Status }> {
  const res = await call(`/v1/payment-sessions/${id}/status`, { headers: { origin: ORIGIN } });
  return { res, body: JSON.parse(await text(res)) as Status };
}

/** The status route once it has settled: the stalled payment finishes on the simulator's own timer. */
async function settledStatus(call: Caller, id: string, ms = 8_000): Promise<Status> {
  return vi.waitFor(
    async () => {
      const { body } = await status(call, id);
      expect(['approved', 'declined'], `the status never settled: ${JSON.stringify(body)}`).toContain(
        body.status,
      );
      return body;
    },
    { timeout: ms, interval: 100 },
  );
}

/** A short storefront deadline, so a stalled submit ends as "unknown" quickly. */
const shortDeadline = { ...openMode, STOREFRONT_UPSTREAM_DEADLINE_MS: '1000' } as const;

describe('the submit key', () => {
  it('is derived from the session and the submitted data: same click, same key; another card, another key', async () => {
    const a = await submitKeyFor('ps_abcdefghijklmnopqrstuvwxyz', null, 'tok_one');
    expect(a).toEqual(await submitKeyFor('ps_abcdefghijklmnopqrstuvwxyz', null, 'tok_one'));
    expect(a.source).toBe('derived');
    expect(a.key).toMatch(/^ps_abcdefghijklmnopqrstuvwxyz\.d-[0-9a-f]{48}$/);
    expect(a.key).not.toContain('tok_one');
    expect((await submitKeyFor('ps_abcdefghijklmnopqrstuvwxyz', null, 'tok_two')).key).not.toBe(a.key);
    expect((await submitKeyFor('ps_zyxwvutsrqponmlkjihgfedcba', null, 'tok_one')).key).not.toBe(a.key);
  });

  it("is the caller's key scoped to the session, and a returned key maps to itself", async () => {
    const id = 'ps_abcdefghijklmnopqrstuvwxyz';
    const scoped = await submitKeyFor(id, 'uuid-1', 'tok_x');
    expect(scoped).toEqual({ key: `${id}.uuid-1`, source: 'caller' });
    expect(await submitKeyFor(id, scoped.key, 'tok_x')).toEqual(scoped);
    // Another session's key is scoped again: it can never replay that session's answer here.
    expect((await submitKeyFor('ps_zyxwvutsrqponmlkjihgfedcba', scoped.key, 'tok_x')).key).not.toBe(
      scoped.key,
    );
    const long = await submitKeyFor(id, 'k'.repeat(255), 'tok_x');
    expect(long.key.length).toBeLessThanOrEqual(255);
    expect(await submitKeyFor(id, long.key, 'tok_x')).toEqual(long);
  });
});

describe('POST /v1/payment-sessions/{id}/submit: one key per logical submit', () => {
  it('pays once for a double click without Idempotency-Key, and both answers agree', async () => {
    const call = caller(openMode);
    const session = await newSession(call);
    const { token } = await cardToken(CARD);
    // A short stall makes the two overlap upstream: Checkout.com processes one, refuses the other while
    // it runs, and the client waits that refusal out to give both the one answer.
    const [a, b] = await withSlowSubmit(400, () =>
      Promise.all([submit(call, session.id, token), submit(call, session.id, token)]),
    );
    expect([a.status, b.status]).toEqual([201, 201]);
    const [pa, pb] = [JSON.parse(await text(a)) as Payment, JSON.parse(await text(b)) as Payment];
    expect(pa.status).toBe('Approved');
    expect(pb).toEqual(pa);
    const key = a.headers.get('cko-idempotency-key');
    expect(key).toMatch(new RegExp(`^${session.id}\\.d-[0-9a-f]{48}$`));
    expect(b.headers.get('cko-idempotency-key')).toBe(key);
    expect(await paymentsByReference(session.reference)).toBe(1);
  });

  it('gives a second attempt with another card another key', async () => {
    const call = caller(openMode);
    const session = await newSession(call);
    const declined = await submit(call, session.id, (await cardToken(DECLINE_CARD)).token);
    expect((JSON.parse(await text(declined)) as Payment).status).toBe('Declined');
    const approved = await submit(call, session.id, (await cardToken(CARD)).token);
    const payment = JSON.parse(await text(approved)) as Payment;
    expect(payment.status).toBe('Approved');
    expect(approved.headers.get('cko-idempotency-key')).not.toBe(declined.headers.get('cko-idempotency-key'));
    // The session's status is its approved payment, not the earlier decline.
    expect((await status(call, session.id)).body).toMatchObject({
      status: 'approved',
      payment_id: payment.id,
    });
  });

  it("sends the caller's Idempotency-Key (scoped to the session) upstream and returns it", async () => {
    const call = caller(openMode);
    const session = await newSession(call);
    const { token } = await cardToken(CARD);
    const first = await submit(call, session.id, token, '"sf-key-1"', ORIGIN);
    expect(first.status).toBe(201);
    const key = first.headers.get('cko-idempotency-key');
    expect(key).toBe(`${session.id}.sf-key-1`);
    expect(first.headers.get('access-control-expose-headers')).toContain('Cko-Idempotency-Key');
    const payment = JSON.parse(await text(first)) as Payment;
    // Checkout.com (the simulator) replays its stored answer for exactly that key: proof Bollard sent it.
    const direct = await simPost(
      `/payment-sessions/${session.id}/submit`,
      { session_data: token },
      key ?? '',
    );
    expect(direct.body.id).toBe(payment.id);
    // The page may retry with its own key or with the returned one: the same record either way.
    for (const retryKey of ['sf-key-1', key ?? '']) {
      const again = await submit(call, session.id, token, retryKey);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('cko-idempotency-key')).toBe(key);
      expect((JSON.parse(await text(again)) as Payment).id).toBe(payment.id);
    }
    expect(await paymentsByReference(session.reference)).toBe(1);
  });

  it('returns the key on error answers too (422 from upstream, 422 for a reused key)', async () => {
    const call = caller(openMode);
    const session = await newSession(call);
    const bad = await submit(call, session.id, 'tok_notarealtokenatallxxxxxx', 'err-1');
    expect(bad.status).toBe(422);
    expect(bad.headers.get('cko-idempotency-key')).toBe(`${session.id}.err-1`);
    const { token } = await cardToken(CARD);
    expect((await submit(call, session.id, token, 'err-2')).status).toBe(201);
    const reused = await submit(call, session.id, (await cardToken(CARD)).token, 'err-2');
    expect(reused.status).toBe(422);
    expect((await errorOf(reused)).error_codes).toEqual(['idempotency_key_reused']);
    expect(reused.headers.get('cko-idempotency-key')).toBe(`${session.id}.err-2`);
  });
});

describe('an unknown outcome (504) and the retry with its key', () => {
  it('answers 504 upstream_outcome_unknown with the key; the status route and a retry find the one payment', async () => {
    const call = caller(shortDeadline);
    const session = await newSession(call);
    const { token } = await cardToken(CARD);
    const first = await withSlowSubmit(2_500, () => submit(call, session.id, token, undefined, ORIGIN));
    expect(first.status).toBe(504);
    const err = await errorOf(first.clone());
    await text(first);
    expect(err.error_type).toBe('upstream_outcome_unknown');
    expect(err.error_codes).toEqual(['upstream_outcome_unknown']);
    const key = first.headers.get('cko-idempotency-key') ?? '';
    expect(key).toMatch(new RegExp(`^${session.id}\\.d-`));
    expect(first.headers.get('access-control-expose-headers')).toContain('Cko-Idempotency-Key');

    // The simulator finishes the stalled submit after Bollard gave up: the status route reports it.
    const settled = await settledStatus(call, session.id);
    expect(settled).toMatchObject({ session_id: session.id, status: 'approved', source: 'upstream' });

    // The page's retry with the key gets the original outcome, and nothing is paid twice.
    const retry = await submit(call, session.id, token, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('cko-idempotency-key')).toBe(key);
    const payment = JSON.parse(await text(retry)) as Payment;
    expect(payment).toMatchObject({ id: settled.payment_id, status: 'Approved' });
    expect(await paymentsByReference(session.reference)).toBe(1);
  });

  it("releases a caller's key after an unknown outcome: the retry goes upstream again, never a stuck 409", async () => {
    const call = caller(shortDeadline);
    const session = await newSession(call);
    const { token } = await cardToken(CARD);
    const first = await withSlowSubmit(2_500, () => submit(call, session.id, token, 'unknown-1'));
    expect(first.status).toBe(504);
    const key = first.headers.get('cko-idempotency-key');
    expect(key).toBe(`${session.id}.unknown-1`);
    // Right away, while Checkout.com is still working on the first: not a 409 from Bollard's guard, and
    // not a second payment — the same key is still in flight upstream, so still unknown (or the answer).
    const early = await submit(call, session.id, token, 'unknown-1');
    expect([201, 504]).toContain(early.status);
    if (early.status === 504)
      expect((await errorOf(early)).error_codes).toEqual(['upstream_outcome_unknown']);
    await settledStatus(call, session.id);
    const late = await submit(call, session.id, token, key ?? '');
    expect(late.status).toBe(201);
    expect((JSON.parse(await text(late)) as Payment).status).toBe('Approved');
    expect(await paymentsByReference(session.reference)).toBe(1);
  });
});

describe('no card data or secret in any answer', () => {
  it('holds for every response the tests above saw', () => {
    expect(seen.length).toBeGreaterThan(0);
    const all = seen.join('\n');
    expect(all).not.toMatch(/4242\s?4242\s?4242\s?4242/);
    expect(all).not.toMatch(/4544\s?2491\s?6767\s?3670/);
    for (const secret of [
      DEV_CREDENTIALS.secretKey,
      DEV_CREDENTIALS.storefrontSecretKey,
      DEV_CREDENTIALS.simAdminKey,
      DEV_CREDENTIALS.oauthClientSecret,
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toContain('"cvv"');
  });
});
