import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { api, json, pay, resetSim, SK } from './helpers';

beforeEach(resetSim, 30_000);

const ENTITY = 'ent_simdefaultentityaaaaaaaaaa';
const OTHER = 'ent_otherentityaaaaaaaaaaaaaaa';

const balance = async (entity: string, currency: string) => {
  const body = await json(await api('GET', `/balances/${entity}?query=currency:${currency}`, SK));
  const row = (body.data as Json[])[0] as Json;
  expect(row).toMatchObject({ holding_currency: currency });
  return (row.balances as Json).available as number;
};

describe('balances and transfers', () => {
  it('balances follow captured − refunded − transferred', async () => {
    expect(await balance(ENTITY, 'EUR')).toBe(0);
    const a = await pay({ amount: 5000, currency: 'EUR' });
    const b = await pay({ amount: 2000, currency: 'EUR', capture: false });
    expect(await balance(ENTITY, 'EUR')).toBe(5000);
    await api('POST', `/payments/${b.id}/captures`, SK, { amount: 1500 });
    await api('POST', `/payments/${a.id}/refunds`, SK, { amount: 1000 });
    expect(await balance(ENTITY, 'EUR')).toBe(5500);

    const res = await api('POST', '/transfers', SK, {
      reference: 'T-1',
      transfer_type: 'commission',
      source: { id: ENTITY, amount: 2500, currency: 'EUR' },
      destination: { id: OTHER },
    });
    expect(res.status).toBe(201);
    const t = await json(res);
    expect(t).toMatchObject({ status: 'pending' });
    expect(t.id).toMatch(/^tra_/);
    const got = await json(await api('GET', `/transfers/${t.id}`, SK));
    expect(got).toMatchObject({
      id: t.id,
      status: 'completed',
      reference: 'T-1',
      transfer_type: 'commission',
      reason_codes: [],
      source: { entity_id: ENTITY, amount: 2500, currency: 'EUR' },
      destination: { entity_id: OTHER },
    });
    expect(await balance(ENTITY, 'EUR')).toBe(3000);
    expect(await balance(OTHER, 'EUR')).toBe(2500);
    const all = await json(await api('GET', `/balances/${ENTITY}`, SK));
    expect((all.data as Json[]).map((d) => d.holding_currency)).toEqual(['EUR']);
  });

  it('rejects a transfer the balance does not cover, without moving funds', async () => {
    await pay({ amount: 100, currency: 'GBP' });
    const t = await json(
      await api('POST', '/transfers', SK, {
        transfer_type: 'promotion',
        source: { id: ENTITY, amount: 101, currency: 'GBP' },
        destination: { id: OTHER },
      }),
    );
    const got = await json(await api('GET', `/transfers/${t.id}`, SK));
    expect(got).toMatchObject({ status: 'rejected', reason_codes: ['insufficient_funds'] });
    expect(await balance(ENTITY, 'GBP')).toBe(100);
  });

  it('validates transfers and balance queries', async () => {
    const res = await api('POST', '/transfers', SK, {
      transfer_type: 'gift',
      source: { id: 'ent_x', amount: 0 },
      destination: {},
    });
    expect(res.status).toBe(422);
    expect((await json(res)).error_codes).toEqual([
      'transfer_type_invalid',
      'source_entity_id_invalid',
      'amount_invalid',
      'destination_entity_id_invalid',
    ]);
    expect((await api('GET', '/transfers/tra_nope', SK)).status).toBe(404);
    expect((await api('GET', `/balances/${ENTITY}?query=currency:euro`, SK)).status).toBe(422);
    expect((await api('GET', '/balances/not-an-entity', SK)).status).toBe(404);
  });
});
