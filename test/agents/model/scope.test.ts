import { describe, expect, it } from 'vitest';
import {
  checkBudgetCurrencies,
  checkBudgets,
  checkVelocity,
  firstHourCounted,
  HOUR_MS,
  hasVelocityLimit,
  hasWindowCaps,
  hourOf,
  VELOCITY_METHODS,
} from '../../../src/agents/model/budgets';
import { hasMoneyLimits } from '../../../src/agents/model/policy';
import {
  createdObject,
  defaultScope,
  disputedPayment,
  isObjectId,
  matchesFingerprint,
  mayReadForScope,
  objectFacts,
  objectRule,
  scopeNeed,
  scopeOf,
  scopeView,
  statusReadFor,
} from '../../../src/agents/model/scope';
import { CATALOG, type CatalogEntry, entryByName } from '../../../src/catalog';

function entry(name: string): CatalogEntry {
  const found = entryByName(name);
  if (!found) throw new Error(name);
  return found;
}

describe('object scope rules (pure)', () => {
  it('gives every catalog row a rule: creates, acts on, lists, or unscoped', () => {
    const rules = Object.fromEntries(CATALOG.map((e) => [e.name, objectRule(e)]));
    expect(rules).toMatchObject({
      requestPayment: { kind: 'creates', object: 'payment' },
      createPaymentSession: { kind: 'creates', object: 'payment_session' },
      createPaymentLink: { kind: 'creates', object: 'payment_link' },
      createInstrument: { kind: 'creates', object: 'instrument' },
      createCustomer: { kind: 'creates', object: 'customer' },
      createTransfer: { kind: 'creates', object: 'transfer' },
      createWorkflow: { kind: 'creates', object: 'workflow' },
      capturePayment: { kind: 'acts_on', object: 'payment' },
      getPaymentActions: { kind: 'acts_on', object: 'payment' },
      acceptDispute: { kind: 'acts_on', object: 'dispute' },
      deleteInstrument: { kind: 'acts_on', object: 'instrument' },
      listPayments: { kind: 'lists', object: 'payment' },
      listDisputes: { kind: 'lists', object: 'dispute' },
      listWorkflows: { kind: 'lists', object: 'workflow' },
      createToken: { kind: 'unscoped' },
      getBalances: { kind: 'unscoped' },
    });
    expect(Object.keys(rules)).toHaveLength(32);
  });

  it('defaults write areas to own and read areas to any; an agent from before scope keeps any', () => {
    expect(defaultScope('write')).toBe('own');
    expect(defaultScope('read')).toBe('any');
    const grants = { payments: 'write', disputes: 'read' } as const;
    expect(scopeView({}, grants)).toEqual({ payments: 'own', disputes: 'any' });
    expect(scopeView({ payments: 'any', disputes: 'own' }, grants)).toEqual({
      payments: 'any',
      disputes: 'own',
    });
    expect(scopeOf(null, grants, 'payments')).toBe('any');
  });

  it('asks for ownership of the named object under own, refuses lists, and lets disputes of a payment through', () => {
    const params = { id: 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa' };
    expect(scopeNeed(entry('refundPayment'), params, undefined, 'own')).toEqual({
      kind: 'owned',
      object: 'payment',
      id: params.id,
    });
    expect(scopeNeed(entry('refundPayment'), params, undefined, 'any')).toEqual({ kind: 'none' });
    expect(scopeNeed(entry('requestPayment'), {}, undefined, 'own')).toEqual({ kind: 'none' });
    expect(scopeNeed(entry('getBalances'), { id: 'ent_a' }, undefined, 'own')).toEqual({ kind: 'none' });
    expect(scopeNeed(entry('listPayments'), {}, undefined, 'own').kind).toBe('refused');
    const narrowed = objectFacts(entry('listDisputes'), undefined, { payment_id: params.id });
    expect(scopeNeed(entry('listDisputes'), {}, narrowed, 'own')).toEqual({
      kind: 'owned',
      object: 'payment',
      id: params.id,
    });
    expect(
      scopeNeed(entry('listDisputes'), {}, objectFacts(entry('listDisputes'), undefined, {}), 'own').kind,
    ).toBe('refused');
    expect(mayReadForScope(entry('getDispute'))).toBe(true);
    expect(mayReadForScope(entry('capturePayment'))).toBe(true);
    expect(mayReadForScope(entry('getCustomer'))).toBe(false);
    expect(mayReadForScope(entry('requestPayment'))).toBe(false);
  });

  it('reads the created object from a 2xx answer only, and fingerprints a creation without its card data', () => {
    const pay = entry('requestPayment');
    expect(createdObject(pay, 201, { id: 'pay_abc', status: 'Authorized' })).toEqual({
      kind: 'payment',
      id: 'pay_abc',
      status: 'Authorized',
    });
    expect(createdObject(pay, 422, { id: 'pay_abc' })).toBeNull();
    expect(createdObject(pay, 201, { id: 'not an id' })).toBeNull();
    expect(createdObject(entry('capturePayment'), 202, { id: 'pay_abc' })).toBeNull();
    expect(createdObject(entry('createCustomer'), 201, { id: 'cus_x' })).toEqual({
      kind: 'customer',
      id: 'cus_x',
      status: null,
    });
    const facts = objectFacts(
      pay,
      {
        amount: 100,
        currency: 'EUR',
        reference: 'ord-1',
        source: { type: 'card', number: '4242424242424242' },
      },
      undefined,
    );
    expect(facts.fingerprint).toEqual({ reference: 'ord-1', amount: 100, currency: 'EUR' });
    expect(JSON.stringify(facts)).not.toContain('4242');
    const fp = { reference: 'ord-1', amount: 100, currency: 'EUR' };
    expect(
      matchesFingerprint(fp, { reference: 'ord-1', amount: 100, currency: 'EUR', status: 'Authorized' }),
    ).toBe(true);
    expect(matchesFingerprint(fp, { reference: 'ord-1', amount: 101, currency: 'EUR' })).toBe(false);
    expect(matchesFingerprint(fp, { reference: 'ord-2', amount: 100, currency: 'EUR' })).toBe(false);
    // Without a reference nothing tells the agent's payment from anyone else's.
    expect(
      matchesFingerprint({ reference: null, amount: 100, currency: 'EUR' }, { amount: 100, currency: 'EUR' }),
    ).toBe(false);
  });
});

describe('object scope: reading objects back (pure)', () => {
  it('finds the payment a dispute is about, in either shape, and only a well-formed id', () => {
    expect(disputedPayment({ id: 'dsp_a', payment_id: 'pay_abc' })).toBe('pay_abc');
    expect(disputedPayment({ id: 'dsp_a', payment: { id: 'pay_def' } })).toBe('pay_def');
    expect(disputedPayment({ payment_id: 'pay_../../x' })).toBeNull();
    expect(disputedPayment(null)).toBeNull();
    expect(isObjectId('pay_abc123')).toBe(true);
    expect(isObjectId('pay_')).toBe(false);
    expect(isObjectId('PAY_abc')).toBe(false);
    expect(isObjectId(`pay_${'a'.repeat(65)}`)).toBe(false);
  });

  it('reads back only the kinds whose object states what it was created with', () => {
    expect(statusReadFor('payment')).toBe('getPayment');
    expect(statusReadFor('payment_link')).toBe('getPaymentLink');
    expect(statusReadFor('transfer')).toBe('getTransfer');
    // A customer or instrument states no reference and amount: only a retry with the key resolves it.
    expect(statusReadFor('customer')).toBeNull();
    expect(statusReadFor('instrument')).toBeNull();
  });
});

describe('budgets over time (pure)', () => {
  it('makes an amount budget an amount limit (amount required), and a velocity limit alone not', () => {
    expect(hasWindowCaps({ max_amount_lifetime: { EUR: 1 } })).toBe(true);
    expect(hasMoneyLimits({ max_amount_per_7_days: { EUR: 1 } })).toBe(true);
    expect(hasMoneyLimits({ max_calls_per_hour: { '*': 1 } })).toBe(false);
    expect(hasVelocityLimit({ max_calls_per_hour: { '*': 1 } })).toBe(true);
    expect(hasVelocityLimit({ max_calls_per_hour: {} })).toBe(false);
  });

  const totals = { day: 0, days7: 0, days30: 0, lifetime: 0 };
  const eur = (amount: number) => ({ amount, currency: 'EUR' });

  it('names the first cap a spend would pass, with what is used', () => {
    const limits = {
      max_amount_per_day: { EUR: 1000 },
      max_amount_per_7_days: { EUR: 3000 },
      max_amount_per_30_days: { EUR: 5000 },
      max_amount_lifetime: { EUR: 9000 },
    };
    expect(checkBudgets(limits, eur(1000), totals)).toEqual({ ok: true });
    expect(checkBudgets(limits, eur(1001), totals)).toMatchObject({ reason: 'daily_limit_exceeded' });
    expect(checkBudgets(limits, eur(500), { ...totals, days7: 2600 })).toMatchObject({
      reason: 'rolling_7_day_limit_exceeded',
      message: expect.stringContaining('2600 used in the last 7 days'),
    });
    expect(checkBudgets(limits, eur(500), { ...totals, days30: 4600 })).toMatchObject({
      reason: 'rolling_30_day_limit_exceeded',
    });
    expect(checkBudgets(limits, eur(500), { ...totals, lifetime: 8600 })).toMatchObject({
      reason: 'lifetime_limit_exceeded',
    });
    expect(checkBudgets(limits, eur(500), { ...totals, lifetime: 8500 })).toEqual({ ok: true });
  });

  it('fails closed on a currency missing from a budget map', () => {
    expect(checkBudgetCurrencies({ max_amount_per_30_days: { EUR: 1 } }, 'USD')).toMatchObject({
      reason: 'currency_not_allowed',
    });
    expect(checkBudgetCurrencies({ max_amount_per_30_days: { EUR: 1 } }, 'EUR')).toEqual({ ok: true });
  });

  it('counts calls per hour overall and per method', () => {
    const limits = { max_calls_per_hour: { '*': 3, refundPayment: 1 } };
    expect(checkVelocity(limits, entry('refundPayment'), { all: 0, method: 0 })).toEqual({ ok: true });
    expect(checkVelocity(limits, entry('refundPayment'), { all: 1, method: 1 })).toMatchObject({
      reason: 'velocity_limit_exceeded',
      message: expect.stringContaining('refundPayment'),
    });
    expect(checkVelocity(limits, entry('requestPayment'), { all: 2, method: 2 })).toEqual({ ok: true });
    expect(checkVelocity(limits, entry('requestPayment'), { all: 3, method: 3 })).toMatchObject({
      reason: 'velocity_limit_exceeded',
    });
    expect(VELOCITY_METHODS).toEqual([
      'requestPayment',
      'capturePayment',
      'refundPayment',
      'incrementAuthorization',
      'acceptDispute',
      'createTransfer',
    ]);
  });

  it('keeps rolling windows in whole hours, never letting a spend out early', () => {
    const t = Date.UTC(2026, 0, 10, 10, 30);
    const week = 7 * 24 * HOUR_MS;
    // A spend at 10:30 counts until the window has passed since 11:00, the end of its hour.
    expect(firstHourCounted(t + week, week)).toBe(hourOf(t));
    expect(firstHourCounted(t + week + 30 * 60_000 - 1, week)).toBe(hourOf(t));
    expect(firstHourCounted(t + week + 30 * 60_000, week)).toBe(hourOf(t) + 1);
  });
});
