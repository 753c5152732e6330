import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { AgentLimits } from '../../../src/agents/model/types';
import { createAgent } from '../helpers';

/**
 * Each budget window's edges, with the clock injected: `reserveSpend` and `get` take `now` (the agent's
 * object checks and counts in one synchronous step, as every call's `begin` does).
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const eur = (amount: number) => ({ amount, currency: 'EUR' });

async function agentWith(limits: AgentLimits) {
  const agent = await createAgent({ payments: 'write' }, { limits });
  const stub = env.AGENT.getByName(agent.id);
  let n = 0;
  const reserve = (amount: number | null, nowMs: number, entry = 'requestPayment') =>
    stub.reserveSpend(agent.id, entry, amount === null ? null : eur(amount), nowMs, {
      key: `k-${++n}`,
      scope: entry,
    });
  return { agent, stub, reserve };
}

describe('budget windows at their edges (injected clock)', { timeout: 60_000 }, () => {
  it('per UTC day: a new day starts at midnight UTC', async () => {
    const { reserve } = await agentWith({ max_amount_per_day: { EUR: 1000 } });
    const late = Date.UTC(2030, 0, 10, 23, 59, 59, 999);
    expect(await reserve(1000, late)).toEqual({ ok: true, reused: false });
    expect(await reserve(1, late)).toMatchObject({ ok: false, reason: 'daily_limit_exceeded' });
    expect(await reserve(1, late + 1)).toEqual({ ok: true, reused: false });
  });

  for (const [field, days, reason] of [
    ['max_amount_per_7_days', 7, 'rolling_7_day_limit_exceeded'],
    ['max_amount_per_30_days', 30, 'rolling_30_day_limit_exceeded'],
  ] as const) {
    it(`rolling ${days} days: a spend counts until ${days} days after the end of its hour`, async () => {
      const { reserve, stub, agent } = await agentWith({ [field]: { EUR: 1000 } });
      const t0 = Date.UTC(2030, 2, 1, 10, 30);
      const endOfHour = Date.UTC(2030, 2, 1, 11, 0);
      expect(await reserve(600, t0)).toEqual({ ok: true, reused: false });
      expect(await reserve(400, t0 + DAY)).toEqual({ ok: true, reused: false });
      // Other days, not the day's cap: the window still holds 1000.
      expect(await reserve(1, t0 + (days - 1) * DAY)).toMatchObject({ ok: false, reason });
      expect(await reserve(1, endOfHour + days * DAY - 1)).toMatchObject({
        ok: false,
        reason,
        message: expect.stringContaining(`1000 used in the last ${days} days`),
      });
      // The first spend (600) leaves at the edge; the second (400, a day later) is still counted.
      expect(await reserve(600, endOfHour + days * DAY)).toEqual({ ok: true, reused: false });
      expect(await reserve(1, endOfHour + days * DAY)).toMatchObject({ ok: false, reason });
      const view = await stub.get(endOfHour + days * DAY);
      expect(view?.spent[days === 7 ? 'last_7_days' : 'last_30_days']).toEqual({ EUR: 1000 });
      expect(view?.spent.lifetime).toEqual({ EUR: 1600 });
      expect(agent.limits).toEqual({ [field]: { EUR: 1000 } });
    });
  }

  it('lifetime: never lets a spend out; a release gives back in every window', async () => {
    const { reserve, stub, agent } = await agentWith({
      max_amount_lifetime: { EUR: 1000 },
      max_amount_per_7_days: { EUR: 1000 },
    });
    const t0 = Date.UTC(2030, 4, 1, 8, 0);
    expect(await reserve(1000, t0)).toEqual({ ok: true, reused: false });
    // A definite refusal upstream gives the reservation back: lifetime and the rolling windows.
    await stub.releaseSpend(agent.id, { key: 'k-1', scope: 'requestPayment' });
    expect((await stub.get(t0 + HOUR))?.spent).toMatchObject({
      last_7_days: { EUR: 0 },
      lifetime: { EUR: 0 },
    });
    expect(await reserve(1000, t0 + HOUR)).toEqual({ ok: true, reused: false });
    expect(await reserve(1, t0 + 400 * DAY)).toMatchObject({
      ok: false,
      reason: 'lifetime_limit_exceeded',
      message: expect.stringContaining('1000 used so far'),
    });
    const view = await stub.get(t0 + 400 * DAY);
    expect(view?.spent).toMatchObject({ last_7_days: {}, last_30_days: {}, lifetime: { EUR: 1000 } });
  });

  it('calls per hour: exact over the last 60 minutes, overall and per method, amounts not needed', async () => {
    const { reserve, stub } = await agentWith({ max_calls_per_hour: { '*': 3, refundPayment: 1 } });
    const t0 = Date.UTC(2030, 6, 1, 12, 0);
    expect(await reserve(null, t0, 'refundPayment')).toEqual({ ok: true, reused: false });
    expect(await reserve(null, t0 + 1, 'refundPayment')).toMatchObject({
      ok: false,
      reason: 'velocity_limit_exceeded',
    });
    expect(await reserve(100, t0 + 2)).toEqual({ ok: true, reused: false });
    expect(await reserve(100, t0 + 3)).toEqual({ ok: true, reused: false });
    expect(await reserve(100, t0 + 4)).toMatchObject({ ok: false, reason: 'velocity_limit_exceeded' });
    expect((await stub.get(t0 + 4))?.spent.calls_last_hour).toEqual({
      '*': 3,
      refundPayment: 1,
      requestPayment: 2,
    });
    // The refund at t0 is still within the hour 1 ms before it ends, and out of it at the hour.
    expect(await reserve(null, t0 + HOUR - 1, 'refundPayment')).toMatchObject({ ok: false });
    expect(await reserve(null, t0 + HOUR, 'refundPayment')).toEqual({ ok: true, reused: false });
  });
});
