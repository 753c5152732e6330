import { beforeEach, expect, it } from 'vitest';
import swaggerJson from '../../../shared/reference/swagger.json';
import { api, CARD, json, PK, pay, resetSim, SK, tokenize } from './helpers';
import type { OpenApiDoc } from './schema-check';
import { check, responseSchema } from './schema-check';

beforeEach(resetSim, 30_000);

const doc = swaggerJson as unknown as OpenApiDoc;

/**
 * Defects of the 2021 document itself: `PaymentResponseBalances` lists `id` as required though it
 * describes no such property and no real balances object has one.
 */
const SPEC_DEFECTS = new Set(['$.balances.id: required']);

async function conforms(path: string, method: string, status: string, res: Response): Promise<void> {
  expect(String(res.status)).toBe(status);
  const body = await json(res).catch(() => null);
  const value = body ?? [];
  const errors = check(doc, responseSchema(doc, path, method, status), value);
  expect(errors.filter((e) => !SPEC_DEFECTS.has(e))).toEqual([]);
}

it('answers in the shapes of the official 2021 OpenAPI document where it has the path', async () => {
  await conforms('/tokens', 'post', '201', await api('POST', '/tokens', PK, CARD));
  const token = await tokenize();
  await conforms(
    '/payments',
    'post',
    '201',
    await api('POST', '/payments', SK, {
      source: { type: 'token', token },
      amount: 100,
      currency: 'GBP',
      capture: false,
    }),
  );
  const pending = await api('POST', '/payments', SK, {
    source: CARD,
    amount: 100,
    currency: 'GBP',
    '3ds': { enabled: true },
  });
  await conforms('/payments', 'post', '202', pending);
  const p = await pay({ capture: false });
  await conforms('/payments/{id}', 'get', '200', await api('GET', `/payments/${p.id}`, SK));
  await conforms(
    '/payments/{id}/authorizations',
    'post',
    '201',
    await api('POST', `/payments/${p.id}/authorizations`, SK, { amount: 50 }),
  );
  await conforms(
    '/payments/{id}/captures',
    'post',
    '202',
    await api('POST', `/payments/${p.id}/captures`, SK, { amount: 50 }),
  );
  await conforms(
    '/payments/{id}/refunds',
    'post',
    '202',
    await api('POST', `/payments/${p.id}/refunds`, SK, { amount: 10 }),
  );
  await conforms('/payments/{id}/actions', 'get', '200', await api('GET', `/payments/${p.id}/actions`, SK));
  const v = await pay({ capture: false });
  await conforms('/payments/{id}/voids', 'post', '202', await api('POST', `/payments/${v.id}/voids`, SK, {}));
  const customer = await api('POST', '/customers', SK, { email: 'c@example.com', name: 'C' });
  const customerBody = await json(customer.clone());
  await conforms('/customers', 'post', '201', customer);
  await conforms('/customers/{id}', 'get', '200', await api('GET', `/customers/${customerBody.id}`, SK));
  const instrument = await api('POST', '/instruments', SK, { type: 'token', token: await tokenize() });
  const instrumentBody = await json(instrument.clone());
  await conforms('/instruments', 'post', '201', instrument);
  await conforms(
    '/instruments/{id}',
    'get',
    '200',
    await api('GET', `/instruments/${instrumentBody.id}`, SK),
  );
});

it('the checker itself finds a missing required field', () => {
  const errors = check(doc, responseSchema(doc, '/payments', 'post', '201'), { id: 'pay_x' });
  expect(errors).toContain('$.action_id: required');
});
