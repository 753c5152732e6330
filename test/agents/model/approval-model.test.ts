import { describe, expect, it } from 'vitest';
import { approvalNeed, approvalTtlMs, approvalWantsAmount } from '../../../src/agents/model/approval-policy';
import {
  agentOfApproval,
  canonicalJson,
  newApprovalId,
  redactApprovalBody,
  requestHash,
} from '../../../src/agents/model/approval-request';
import { entryByName } from '../../../src/catalog';

function entry(name: string) {
  const found = entryByName(name);
  if (!found) throw new Error(name);
  return found;
}

const PAY = entry('requestPayment');
const REFUND = entry('refundPayment');
const CUSTOMER = entry('createCustomer');
const READ = entry('getPayment');

describe('approval policy', () => {
  it('holds at or over the threshold per currency, fails closed on unknown amounts and unnamed currencies', () => {
    const policy = { at_or_over: { EUR: 50_000 } };
    expect(approvalNeed(policy, PAY, { amount: 49_999, currency: 'EUR' })).toBeNull();
    expect(approvalNeed(policy, PAY, { amount: 50_000, currency: 'EUR' })).toMatchObject({ approvers: 1 });
    expect(approvalNeed(policy, PAY, { amount: 1, currency: 'GBP' })).not.toBeNull();
    expect(approvalNeed(policy, REFUND, { amount: null, currency: null })?.why).toBe(
      'the amount is not known',
    );
    // Thresholds are about money: a call that moves none is not held by them.
    expect(approvalNeed(policy, CUSTOMER, { amount: null, currency: null })).toBeNull();
    expect(approvalNeed(null, PAY, { amount: 10 ** 9, currency: 'EUR' })).toBeNull();
  });

  it('holds named methods and every money-moving call, and asks two approvers over the second threshold', () => {
    expect(
      approvalNeed({ methods: ['createCustomer'] }, CUSTOMER, { amount: null, currency: null }),
    ).toMatchObject({
      approvers: 1,
    });
    expect(approvalNeed({ all_money_moving: true }, REFUND, { amount: 1, currency: 'EUR' })).not.toBeNull();
    expect(approvalNeed({ all_money_moving: true }, READ, { amount: null, currency: null })).toBeNull();
    const two = { at_or_over: { EUR: 1_000 }, two_approvers_at_or_over: { EUR: 100_000 } };
    expect(approvalNeed(two, PAY, { amount: 99_999, currency: 'EUR' })?.approvers).toBe(1);
    expect(approvalNeed(two, PAY, { amount: 100_000, currency: 'EUR' })?.approvers).toBe(2);
    expect(approvalNeed(two, PAY, { amount: null, currency: null })?.approvers).toBe(2);
    // The second threshold alone implies approval.
    expect(
      approvalNeed({ two_approvers_at_or_over: { EUR: 5 } }, PAY, { amount: 5, currency: 'EUR' }),
    ).toMatchObject({
      approvers: 2,
    });
    expect(
      approvalNeed({ two_approvers_at_or_over: { EUR: 5 } }, PAY, { amount: 4, currency: 'EUR' }),
    ).toBeNull();
    expect(approvalWantsAmount({ methods: ['refundPayment'] })).toBe(false);
    expect(approvalWantsAmount(two)).toBe(true);
    expect(approvalTtlMs(null)).toBe(900_000);
    expect(approvalTtlMs({ all_money_moving: true, ttl_seconds: 60 })).toBe(60_000);
  });
});

describe('what an approval binds', () => {
  const base = {
    agentId: 'agt_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    method: 'POST',
    path: '/payments',
    body: { amount: 100, currency: 'EUR', source: { type: 'card', number: '4242424242424242' } },
    idempotencyKey: 'k1',
  };

  it('is canonical JSON: sorted keys at every depth, no whitespace, null for no body', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('hashes agent, method, path, body and key: key order does not matter, anything else does', () => {
    const hash = requestHash(base);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = {
      ...base,
      body: { source: { number: '4242424242424242', type: 'card' }, currency: 'EUR', amount: 100 },
    };
    expect(requestHash(reordered)).toBe(hash);
    for (const changed of [
      { ...base, agentId: 'agt_bbbbbbbbbbbbbbbbbbbbbbbbbb' },
      { ...base, method: 'PUT' },
      { ...base, path: '/payments/x' },
      { ...base, body: { ...base.body, amount: 101 } },
      { ...base, body: { ...base.body, source: { type: 'card', number: '4000000000000002' } } },
      { ...base, idempotencyKey: 'k2' },
    ])
      expect(requestHash(changed)).not.toBe(hash);
  });

  it('redacts card number, security code and expiry in what operators see, and nothing else', () => {
    const redacted = redactApprovalBody({
      amount: 100,
      reference: 'order 7',
      source: { type: 'card', number: '4242424242424242', cvv: '100', expiry_month: 12, expiry_year: 2030 },
      metadata: { note: 'card 4242 4242 4242 4242' },
    });
    expect(redacted).toEqual({
      amount: 100,
      reference: 'order 7',
      source: {
        type: 'card',
        number: '[redacted]',
        cvv: '[redacted]',
        expiry_month: '[redacted]',
        expiry_year: '[redacted]',
      },
      metadata: { note: 'card [REDACTED_PAN]' },
    });
    expect(redactApprovalBody(undefined)).toBeNull();
  });

  it('names its agent in the approval id', () => {
    const id = newApprovalId('agt_abcdefghijklmnopqrstuvwxyz');
    expect(agentOfApproval(id)).toBe('agt_abcdefghijklmnopqrstuvwxyz');
    expect(agentOfApproval('apr_nothing')).toBeNull();
    expect(() => newApprovalId('nope')).toThrow(TypeError);
  });
});
