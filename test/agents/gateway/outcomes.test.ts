import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ANY_SCOPE,
  auditFor,
  cardPayment,
  createAgent,
  type EnvOverrides,
  gateway,
  paymentsWithReference,
  simApi,
  simFaults,
  simRequests,
  spentToday,
  spentTodaySettled,
} from '../helpers';

/**
 * A short overall deadline, so that a stalled upstream turns into an unknown outcome in about a second. The
 * stall (`latency_ms`) is longer than the deadline, and the simulator finishes the work after Bollard has
 * gone, as a real server would.
 */
const SHORT: EnvOverrides = { AGENT_UPSTREAM_DEADLINE_MS: '1200', UPSTREAM_ATTEMPT_TIMEOUT_MS: '600' };
const STALL = { routes: { 'POST /payments': { latency_ms: 3_000 } } };

type ErrorJson = { error_type: string; error_codes: string[]; message: string };

/** A payment body with a reference of its own, to count what reached the simulator. */
function payment(amount: number): { body: Record<string, unknown>; reference: string } {
  const reference = `outcome-${crypto.randomUUID().slice(0, 12)}`;
  return { body: { ...cardPayment(amount), reference }, reference };
}

/**
 * Waits until the stalled first attempt has finished upstream (the simulator's own timer, in another
 * Worker). Bounded, and the test goes on either way: the retry with the key must be right whether or not
 * that attempt ever ran.
 */
async function settled(reference: string): Promise<void> {
  await vi
    .waitFor(async () => expect(await paymentsWithReference(reference)).not.toHaveLength(0), {
      timeout: 8_000,
      interval: 50,
    })
    .catch(() => {});
}

afterEach(async () => {
  await simFaults(null);
});

describe('Cko-Idempotency-Key on /agent/v1', { timeout: 60_000 }, () => {
  it("sends the caller's key upstream and returns it on every answer, errors included", async () => {
    const agent = await createAgent({ payments: 'write' });
    const key = `caller-${crypto.randomUUID()}`;
    const { body } = payment(300);
    const res = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.headers.get('cko-idempotency-key')).toBe(key);
    const { id } = (await res.json()) as { id: string };
    // Upstream holds the answer under the caller's key scoped to the agent: that scoped key straight to
    // the simulator replays it, while the bare key is a different request there (another agent using
    // the same key can never replay this agent's payment).
    const scoped = await simApi('POST', '/payments', body, { 'cko-idempotency-key': `${agent.id}.${key}` });
    expect(((await scoped.json()) as { id: string }).id).toBe(id);
    const other = await createAgent({ payments: 'write' });
    const theirs = await gateway(other.key, 'POST', '/payments', payment(300).body, {
      'cko-idempotency-key': key,
    });
    expect(theirs.status).toBe(201);
    expect(((await theirs.json()) as { id: string }).id).not.toBe(id);

    const invalid = await gateway(
      agent.key,
      'POST',
      '/payments',
      { amount: 300, currency: 'EUR' },
      {
        'cko-idempotency-key': `${key}-b`,
      },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('cko-idempotency-key')).toBe(`${key}-b`);
    const read = await gateway(agent.key, 'GET', `/payments/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('cko-idempotency-key')).toBeNull();
    const records = await auditFor(agent.id);
    expect(records.map((r) => r.idempotency_key)).toEqual([key, `${key}-b`, null]);
  });

  it('generates a key for a money-moving call without one, returns it, and records it', async () => {
    const agent = await createAgent({ payments: 'write' });
    const { body, reference } = payment(310);
    const res = await gateway(agent.key, 'POST', '/payments', body);
    expect(res.status).toBe(201);
    const generated = res.headers.get('cko-idempotency-key');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const { id } = (await res.json()) as { id: string };
    const [rec] = await auditFor(agent.id);
    expect(rec).toMatchObject({ idempotency_key: generated, decision: 'allowed', upstream_status: 201 });
    // Retrying with the returned key is the same call: the same payment, made once.
    const again = await gateway(agent.key, 'POST', '/payments', body, {
      'cko-idempotency-key': generated ?? '',
    });
    expect(((await again.json()) as { id: string }).id).toBe(id);
    expect(await paymentsWithReference(reference)).toHaveLength(1);
  });

  it('refuses a key that is not 1-255 visible ASCII with a 422 naming the header, sending nothing', async () => {
    const agent = await createAgent({ payments: 'write' });
    const before = await simRequests();
    for (const bad of ['has space', 'k'.repeat(256), '']) {
      const res = await gateway(agent.key, 'POST', '/payments', cardPayment(100), {
        'cko-idempotency-key': bad,
      });
      expect(res.status).toBe(422);
      const body = (await res.json()) as ErrorJson;
      expect(body).toMatchObject({ error_type: 'request_invalid', error_codes: ['idempotency_key_invalid'] });
      expect(body.message).toContain('Cko-Idempotency-Key');
      expect(res.headers.get('cko-idempotency-key')).toBeNull();
    }
    expect(await simRequests()).toBe(before);
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.decision, r.reason, r.idempotency_key])).toEqual(
      Array.from({ length: 3 }, () => ['denied', 'idempotency_key_invalid', null]),
    );
  });

  it('answers an unknown outcome with 504 and the key; a retry with that key gets the original payment, made once', async () => {
    const agent = await createAgent({ payments: 'write' });
    const { body, reference } = payment(320);
    await simFaults(STALL);
    const res = await gateway(agent.key, 'POST', '/payments', body, {}, SHORT);
    expect(res.status).toBe(504);
    const key = res.headers.get('cko-idempotency-key');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const error = (await res.json()) as ErrorJson;
    expect(error).toMatchObject({
      error_type: 'upstream_outcome_unknown',
      error_codes: ['upstream_outcome_unknown'],
    });
    expect(error.message).toContain('retry with the same Cko-Idempotency-Key');
    expect(error.message).toContain('read the payment');
    const [unknown] = await auditFor(agent.id);
    expect(unknown).toMatchObject({ decision: 'failed', reason: 'outcome_unknown', idempotency_key: key });

    await simFaults(null);
    await settled(reference);
    const retry = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key ?? '' });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('cko-idempotency-key')).toBe(key);
    const { id } = (await retry.json()) as { id: string };
    expect((await paymentsWithReference(reference)).map((p) => p.id)).toEqual([id]);
  });

  it("treats a write's final 5xx as an unknown outcome (its effect is unknown), keeping upstream status and id", async () => {
    const agent = await createAgent({ payments: 'write' });
    const key = `fivexx-${crypto.randomUUID()}`;
    const { body, reference } = payment(330);
    await simFaults({ routes: { 'POST /payments': { error_rate: 1, status: 500 } } });
    const res = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(res.status).toBe(504);
    expect(res.headers.get('cko-idempotency-key')).toBe(key);
    expect(((await res.json()) as ErrorJson).error_type).toBe('upstream_outcome_unknown');
    const [rec] = await auditFor(agent.id);
    expect(rec).toMatchObject({ reason: 'outcome_unknown', upstream_status: 500, idempotency_key: key });
    expect(rec?.upstream_request_id).toBeTruthy();
    expect(res.headers.get('x-upstream-request-id')).toBe(rec?.upstream_request_id);
    await simFaults(null);
    const retry = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(retry.status).toBe(201);
    expect(await paymentsWithReference(reference)).toHaveLength(1);
  });

  it("answers Checkout.com's 401 to Bollard's credential as 502 with the upstream request id its record has", async () => {
    const agent = await createAgent({ payments: 'write' }, { scope: ANY_SCOPE });
    const wrongSecret: EnvOverrides = { CHECKOUT_SECRET_KEY: 'sk_sbox_notthekeyaaaaaaaaaaaaaaaaaaa' };
    const res = await gateway(agent.key, 'GET', '/payments?limit=1', undefined, {}, wrongSecret);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      error_type: 'upstream_error',
      error_codes: ['upstream_credential_rejected'],
    });
    const [rec] = await auditFor(agent.id);
    expect(rec).toMatchObject({ decision: 'failed', reason: 'upstream_failed', upstream_status: 401 });
    expect(rec?.upstream_request_id).toBeTruthy();
    expect(res.headers.get('x-upstream-request-id')).toBe(rec?.upstream_request_id);
  });
});

describe('daily caps under unknown outcomes', { timeout: 60_000 }, () => {
  it('holds an unknown outcome against the cap, and a retry with its key reuses the reservation', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    const key = `caps-${crypto.randomUUID()}`;
    const { body, reference } = payment(600);
    await simFaults(STALL);
    const res = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key }, SHORT);
    expect(res.status).toBe(504);
    expect(await spentToday(agent.id)).toEqual({ EUR: 600 });
    // The 600 may have moved, so another 600 under a cap of 1000 is refused before it is sent.
    const other = await gateway(agent.key, 'POST', '/payments', payment(600).body);
    expect(other.status).toBe(403);
    expect(((await other.json()) as ErrorJson).error_codes).toEqual(['daily_limit_exceeded']);

    await simFaults(null);
    await settled(reference);
    // Reserving 600 again would exceed the cap (403): the retry is the same call and reuses its reservation.
    const retry = await gateway(agent.key, 'POST', '/payments', body, { 'cko-idempotency-key': key });
    expect(retry.status).toBe(201);
    expect(await paymentsWithReference(reference)).toHaveLength(1);
    expect(await spentToday(agent.id)).toEqual({ EUR: 600 });
    // A retry asking for more than its key holds is another request, refused rather than counted twice.
    const more = await gateway(agent.key, 'POST', '/payments', payment(700).body, {
      'cko-idempotency-key': key,
    });
    expect(more.status).toBe(422);
    expect(((await more.json()) as ErrorJson).error_codes).toEqual(['idempotency_key_reused']);
    expect(await spentToday(agent.id)).toEqual({ EUR: 600 });
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.decision, r.reason, r.idempotency_key === key])).toEqual([
      ['failed', 'outcome_unknown', true],
      ['denied', 'daily_limit_exceeded', false],
      ['allowed', 'allowed', true],
      ['denied', 'idempotency_key_reused', true],
    ]);
  });

  it('gives back what a definite refusal did not spend: a 4xx, and a 4xx on the retry of an unknown outcome', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    // Upstream 422 (no source): nothing moved.
    const invalid = await gateway(
      agent.key,
      'POST',
      '/payments',
      { amount: 900, currency: 'EUR' },
      {
        'cko-idempotency-key': `refused-${crypto.randomUUID()}`,
      },
    );
    expect(invalid.status).toBe(422);
    expect(await spentTodaySettled(agent.id)).toEqual({ EUR: 0 });

    // Every attempt's connection is cut: Bollard cannot know whether the payment was made.
    const key = `dropped-${crypto.randomUUID()}`;
    await simFaults({ routes: { 'POST /payments': { drop: true } } });
    const dropped = await gateway(agent.key, 'POST', '/payments', cardPayment(700), {
      'cko-idempotency-key': key,
    });
    expect(dropped.status).toBe(504);
    expect(dropped.headers.get('cko-idempotency-key')).toBe(key);
    expect(await spentToday(agent.id)).toEqual({ EUR: 700 });
    await simFaults(null);
    // The retry with the key is refused upstream (422): no payment exists under the key, nothing moved.
    const retry = await gateway(
      agent.key,
      'POST',
      '/payments',
      { amount: 700, currency: 'EUR' },
      {
        'cko-idempotency-key': key,
      },
    );
    expect(retry.status).toBe(422);
    expect(await spentTodaySettled(agent.id)).toEqual({ EUR: 0 });
  });

  it('keeps separate reservations for the same key on different calls', async () => {
    const unlimited = await createAgent({ payments: 'write' });
    const agent = await createAgent(
      { payments: 'write' },
      { scope: ANY_SCOPE, limits: { max_amount_per_day: { EUR: 1000 } } },
    );
    const ids: string[] = [];
    for (const amount of [200, 300]) {
      const res = await gateway(unlimited.key, 'POST', '/payments', cardPayment(amount, 'EUR', false));
      ids.push(((await res.json()) as { id: string }).id);
    }
    const key = `shared-${crypto.randomUUID()}`;
    for (const id of ids) {
      const res = await gateway(
        agent.key,
        'POST',
        `/payments/${id}/captures`,
        {},
        {
          'cko-idempotency-key': key,
        },
      );
      expect(res.status).toBe(202);
    }
    expect(await spentToday(agent.id)).toEqual({ EUR: 500 });
  });
});
