import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { api, CARD, json, resetSim, SK, tokenize } from './helpers';

beforeEach(resetSim, 30_000);

describe('customers', () => {
  it('creates, reads by id and by email, updates and deletes', async () => {
    const created = await api('POST', '/customers', SK, {
      email: 'Jo@Example.com',
      name: 'Jo',
      phone: { country_code: '+44', number: '020 7946 0000' },
      metadata: { tier: 'gold' },
    });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    expect(id).toMatch(/^cus_[a-z2-7]{26}$/);
    const got = await json(await api('GET', `/customers/${id}`, SK));
    expect(got).toMatchObject({
      id,
      email: 'jo@example.com',
      name: 'Jo',
      metadata: { tier: 'gold' },
      instruments: [],
    });
    expect((await json(await api('GET', '/customers/jo@example.com', SK))).id).toBe(id);
    expect((await api('PATCH', `/customers/${id}`, SK, { name: 'Joanna' })).status).toBe(204);
    expect((await json(await api('GET', `/customers/${id}`, SK))).name).toBe('Joanna');
    expect((await api('POST', '/customers', SK, { email: 'jo@example.com' })).status).toBe(409);
    expect((await api('DELETE', `/customers/${id}`, SK)).status).toBe(204);
    expect((await api('GET', `/customers/${id}`, SK)).status).toBe(404);
    expect((await api('DELETE', `/customers/${id}`, SK)).status).toBe(404);
  });

  it('validates', async () => {
    const res = await api('POST', '/customers', SK, { email: 'nope', name: 7 });
    expect(res.status).toBe(422);
    expect((await json(res)).error_codes).toEqual(['customer_email_invalid', 'customer_name_invalid']);
    expect((await json(await api('POST', '/customers', SK, {}))).error_codes).toEqual([
      'customer_email_required',
    ]);
    expect((await api('PATCH', '/customers/cus_nopeaaaaaaaaaaaaaaaaaaaaaa', SK, {})).status).toBe(404);
  });
});

describe('instruments', () => {
  it('stores a token as an instrument, attaches it to a customer, reads and deletes it', async () => {
    const customer = (await json(await api('POST', '/customers', SK, { email: 'i@example.com' })))
      .id as string;
    const res = await api('POST', '/instruments', SK, {
      type: 'token',
      token: await tokenize(),
      customer: { id: customer, default: true },
    });
    expect(res.status).toBe(201);
    const inst = await json(res);
    expect(inst).toMatchObject({ type: 'card', last4: '4242', scheme: 'VISA', expiry_year: 2030 });
    expect(inst.id).toMatch(/^src_/);
    expect((inst.customer as Json).id).toBe(customer);
    expect(JSON.stringify(inst)).not.toContain(CARD.number);
    const got = await json(await api('GET', `/instruments/${inst.id}`, SK));
    expect(got.fingerprint).toBe(inst.fingerprint);
    const owner = await json(await api('GET', `/customers/${customer}`, SK));
    expect(owner.default).toBe(inst.id);
    expect((owner.instruments as Json[]).map((i) => i.id)).toEqual([inst.id]);
    expect((await api('DELETE', `/instruments/${inst.id}`, SK)).status).toBe(204);
    expect((await api('GET', `/instruments/${inst.id}`, SK)).status).toBe(404);
    expect((await json(await api('GET', `/customers/${customer}`, SK))).instruments).toEqual([]);
  });

  it('refuses a spent or unknown token and other instrument types', async () => {
    const token = await tokenize();
    expect((await api('POST', '/instruments', SK, { type: 'token', token })).status).toBe(201);
    expect((await json(await api('POST', '/instruments', SK, { type: 'token', token }))).error_codes).toEqual(
      ['token_used'],
    );
    expect(
      (await json(await api('POST', '/instruments', SK, { type: 'token', token: 'tok_nope' }))).error_codes,
    ).toEqual(['token_invalid']);
    expect((await json(await api('POST', '/instruments', SK, { type: 'bank_account' }))).error_codes).toEqual(
      ['instrument_type_invalid', 'token_required'],
    );
  });
});
