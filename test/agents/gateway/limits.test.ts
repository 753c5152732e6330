import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { admin, auditFor, cardPayment, createAgent, gateway, simRequests, updateAgent } from '../helpers';

type ErrorJson = { error_type: string; error_codes: string[]; message: string };

async function refusal(res: Response): Promise<ErrorJson> {
  const body = (await res.json()) as ErrorJson;
  expect(res.status, JSON.stringify(body)).toBe(403);
  expect(body.error_type).toBe('permission_denied');
  return body;
}

describe('amount limits on money-moving calls', { timeout: 60_000 }, () => {
  it('enforces the per-call cap, and a currency without a cap is refused', async () => {
    const agent = await createAgent(
      { payments: 'write' },
      { limits: { max_amount_per_call: { EUR: 1000 } } },
    );
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(1000))).status).toBe(201);
    const before = await simRequests();
    const over = await refusal(await gateway(agent.key, 'POST', '/payments', cardPayment(1001)));
    expect(over.error_codes).toEqual(['amount_limit_exceeded']);
    expect(over.message).toContain('1000');
    const usd = await refusal(await gateway(agent.key, 'POST', '/payments', cardPayment(10, 'USD')));
    expect(usd.error_codes).toEqual(['currency_not_allowed']);
    expect(await simRequests()).toBe(before);
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.decision, r.reason, r.amount, r.currency])).toEqual([
      ['allowed', 'allowed', 1000, 'EUR'],
      ['denied', 'amount_limit_exceeded', 1001, 'EUR'],
      ['denied', 'currency_not_allowed', 10, 'USD'],
    ]);
  });

  it('enforces the currency allow-list', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { currencies: ['GBP'] } });
    expect(
      (await refusal(await gateway(agent.key, 'POST', '/payments', cardPayment(5)))).error_codes,
    ).toEqual(['currency_not_allowed']);
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(5, 'GBP'))).status).toBe(201);
  });

  it('enforces the per-day cap, and gives back what a 4xx did not spend', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    // Upstream 422 (no source): nothing moved, so nothing is counted.
    const invalid = await gateway(agent.key, 'POST', '/payments', { amount: 900, currency: 'EUR' });
    expect(invalid.status).toBe(422);
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(600))).status).toBe(201);
    expect((await gateway(agent.key, 'POST', '/payments', cardPayment(400))).status).toBe(201);
    const over = await refusal(await gateway(agent.key, 'POST', '/payments', cardPayment(1)));
    expect(over.error_codes).toEqual(['daily_limit_exceeded']);
    const view = (await (await admin(`/admin/agents/${agent.id}`)).json()) as {
      spent_today: Record<string, number>;
    };
    expect(view.spent_today).toEqual({ EUR: 1000 });
  });

  it('checks the per-day cap atomically: 10 concurrent payments of 200 under a cap of 1000 → exactly 5 pass', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => gateway(agent.key, 'POST', '/payments', cardPayment(200))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 403)).toHaveLength(5);
    const records = await auditFor(agent.id);
    expect(records.filter((r) => r.reason === 'daily_limit_exceeded')).toHaveLength(5);
  });

  it('counts a capture without an amount as the full remaining amount of the payment', async () => {
    const unlimited = await createAgent({ payments: 'write' });
    // Scope `any`: it captures and refunds payments another agent made.
    const limited = await createAgent(
      { payments: 'write' },
      { scope: { payments: 'any' }, limits: { max_amount_per_call: { EUR: 1000 } } },
    );
    const small = (await (
      await gateway(unlimited.key, 'POST', '/payments', cardPayment(800, 'EUR', false))
    ).json()) as {
      id: string;
    };
    const big = (await (
      await gateway(unlimited.key, 'POST', '/payments', cardPayment(1500, 'EUR', false))
    ).json()) as {
      id: string;
    };
    const captured = await gateway(limited.key, 'POST', `/payments/${small.id}/captures`, {});
    expect(captured.status).toBe(202);
    const refused = await refusal(await gateway(limited.key, 'POST', `/payments/${big.id}/captures`));
    expect(refused.error_codes).toEqual(['amount_limit_exceeded']);
    // A partial capture states its amount; the currency still comes from the payment.
    expect((await gateway(limited.key, 'POST', `/payments/${big.id}/captures`, { amount: 900 })).status).toBe(
      202,
    );
    const refund = await gateway(limited.key, 'POST', `/payments/${small.id}/refunds`, { amount: 300 });
    expect(refund.status).toBe(202);
    const records = await auditFor(limited.id);
    expect(records.map((r) => [r.entry, r.decision, r.amount, r.currency])).toEqual([
      ['capturePayment', 'allowed', 800, 'EUR'],
      ['capturePayment', 'denied', 1500, 'EUR'],
      ['capturePayment', 'allowed', 900, 'EUR'],
      ['refundPayment', 'allowed', 300, 'EUR'],
    ]);
    // Unknown payment: the lookup's 404 is the answer, as the capture itself would have said.
    expect(
      (await gateway(limited.key, 'POST', '/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa/captures')).status,
    ).toBe(404);
  });

  it('refuses a limited transfer whose currency cannot be known, and reads source.amount', async () => {
    const agent = await createAgent(
      { 'payouts-balances': 'write' },
      { limits: { max_amount_per_call: { EUR: 100 } } },
    );
    const transfer = (amount: number, currency?: string) => ({
      reference: 'agents',
      transfer_type: 'commission',
      source: { id: 'ent_aaaaaaaaaaaaaaaaaaaaaaaaaa', amount, ...(currency ? { currency } : {}) },
      destination: { id: 'ent_bbbbbbbbbbbbbbbbbbbbbbbbbb' },
    });
    expect((await refusal(await gateway(agent.key, 'POST', '/transfers', transfer(50)))).error_codes).toEqual(
      ['amount_required'],
    );
    expect(
      (await refusal(await gateway(agent.key, 'POST', '/transfers', transfer(500, 'EUR')))).error_codes,
    ).toEqual(['amount_limit_exceeded']);
    const ok = await gateway(agent.key, 'POST', '/transfers', transfer(50, 'EUR'));
    expect(ok.status).not.toBe(403);
  });

  it('applies a limit change to the next call', async () => {
    const agent = await createAgent({ payments: 'write' });
    const first = await gateway(agent.key, 'POST', '/payments', cardPayment(5000));
    expect(first.status, await first.text()).toBe(201);
    await updateAgent(agent.id, { limits: { max_amount_per_call: { EUR: 10 } } });
    expect(
      (await refusal(await gateway(agent.key, 'POST', '/payments', cardPayment(5000)))).error_codes,
    ).toEqual(['amount_limit_exceeded']);
  });
});

describe("reservations by idempotency key (the agent's object)", () => {
  const money = (amount: number) => ({ amount, currency: 'EUR' });
  const hold = (key: string) => ({ key, scope: 'requestPayment' });

  it('reuses a live reservation, releases each one once, and forgets a key after 24 hours', async () => {
    const agent = await createAgent({ payments: 'write' }, { limits: { max_amount_per_day: { EUR: 1000 } } });
    const object = () => env.AGENT.getByName(agent.id);
    const t = Date.parse('2026-06-01T08:00:00Z');
    const day = (ms: number) => object().spentToday(agent.id, ms);
    expect(await object().reserveSpend(agent.id, 'requestPayment', money(300), t, hold('a'))).toEqual({
      ok: true,
      reused: false,
    });
    expect(
      await object().reserveSpend(agent.id, 'requestPayment', money(300), t + 3_600_000, hold('a')),
    ).toEqual({ ok: true, reused: true });
    await object().reserveSpend(agent.id, 'requestPayment', money(400), t, hold('b'));
    expect(await day(t)).toEqual({ EUR: 700 });
    await object().releaseSpend(agent.id, hold('a'));
    await object().releaseSpend(agent.id, hold('a'));
    expect(await day(t)).toEqual({ EUR: 400 });
    // Past Checkout.com's 24-hour key lifetime, the key is a new call and counts on its own day.
    const later = t + 24 * 3_600_000 + 1;
    expect(await object().reserveSpend(agent.id, 'requestPayment', money(400), later, hold('b'))).toEqual({
      ok: true,
      reused: false,
    });
    expect(await day(later)).toEqual({ EUR: 400 });
    expect(await day(t)).toEqual({ EUR: 400 });
  });
});
