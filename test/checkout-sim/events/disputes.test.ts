import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { admin, call, json, payment } from './support/helpers';

afterEach(async () => {
  await reset();
});

interface DisputeDetail {
  id: string;
  status: string;
  category: string;
  amount: number;
  currency: string;
  reason_code: string;
  evidence_required_by: string;
  received_on: string;
  payment: { id: string; action_id: string };
  _links: { self: { href: string }; evidence: { href: string } };
}

interface Page {
  limit: number;
  skip: number;
  total_count: number;
  data: { id: string; status: string; payment_id: string; _links: { self: { href: string } } }[];
}

async function raise(paymentId: string, extra: Record<string, unknown> = {}): Promise<DisputeDetail> {
  return json<DisputeDetail>(await admin('POST', '/_sim/disputes', { payment_id: paymentId, ...extra }), 201);
}

async function eventTypesFor(subjectId: string): Promise<string[]> {
  const res = await call('GET', `/workflows/events/subject/${subjectId}`);
  return (await json<{ data: { type: string }[] }>(res, 200)).data.map((e) => e.type);
}

describe('raising disputes (control plane)', () => {
  it('raises a dispute on a captured payment and emits dispute_received then dispute_evidence_required', async () => {
    const pay = await payment({ amount: 7000 });
    const d = await raise(pay, { category: 'product_service_not_received' });
    expect(d).toMatchObject({
      id: expect.stringMatching(/^dsp_[a-z2-7]{26}$/),
      status: 'evidence_required',
      category: 'product_service_not_received',
      amount: 7000,
      currency: 'GBP',
      payment: { id: pay, action_id: expect.stringMatching(/^act_/) },
    });
    expect(Date.parse(d.evidence_required_by)).toBeGreaterThan(Date.parse(d.received_on));
    expect(await eventTypesFor(d.id)).toEqual(['dispute_received', 'dispute_evidence_required']);
  });

  it('takes a partial amount and refuses more than was captured', async () => {
    const pay = await payment({ amount: 7000 });
    expect((await raise(pay, { amount: 2500 })).amount).toBe(2500);
    const res = await admin('POST', '/_sim/disputes', { payment_id: pay, amount: 7001 });
    expect((await json<{ error_codes: string[] }>(res, 422)).error_codes).toEqual([
      'amount_exceeds_disputable',
    ]);
  });

  it('refuses unknown, uncaptured and malformed requests', async () => {
    expect(
      (await admin('POST', '/_sim/disputes', { payment_id: 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa' })).status,
    ).toBe(404);
    const authorized = await payment({ capture: false });
    const res = await admin('POST', '/_sim/disputes', { payment_id: authorized });
    expect((await json<{ error_codes: string[] }>(res, 422)).error_codes).toEqual(['payment_not_captured']);
    const bad = await admin('POST', '/_sim/disputes', { category: 'weather', amount: -1 });
    expect((await json<{ error_codes: string[] }>(bad, 422)).error_codes).toEqual([
      'payment_id_required',
      'amount_invalid',
      'category_invalid',
    ]);
  });

  it('needs the sim admin key', async () => {
    const pay = await payment();
    const res = await call('POST', '/_sim/disputes', { payment_id: pay });
    expect(res.status).toBe(401);
  });
});

describe('GET /disputes', () => {
  it('pages with limit/skip/total_count, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await raise(await payment())).id);
    const newestFirst = [...ids].reverse();
    const first = await json<Page>(await call('GET', '/disputes?limit=2'), 200);
    expect(first).toMatchObject({ limit: 2, skip: 0, total_count: 5 });
    expect(first.data.map((d) => d.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.data[0]?._links.self.href).toBe(`http://sim.test/disputes/${newestFirst[0]}`);
    const last = await json<Page>(await call('GET', '/disputes?limit=2&skip=4'), 200);
    expect(last.data.map((d) => d.id)).toEqual(newestFirst.slice(4));
    const all = await json<Page>(await call('GET', '/disputes'), 200);
    expect(all).toMatchObject({ limit: 50, skip: 0, total_count: 5 });
    const beyond = await json<Page>(await call('GET', '/disputes?skip=10'), 200);
    expect(beyond).toMatchObject({ total_count: 5, data: [] });
  });

  it('refuses a bad limit with paging_limit_invalid', async () => {
    for (const limit of ['0', '251', 'x', '1.5']) {
      const res = await call('GET', `/disputes?limit=${limit}`);
      expect((await json<{ error_codes: string[] }>(res, 422)).error_codes).toEqual(['paging_limit_invalid']);
    }
    expect((await call('GET', '/disputes?limit=250')).status).toBe(200);
    const res = await call('GET', '/disputes?skip=-1&statuses=nope&from=yesterday');
    expect((await json<{ error_codes: string[] }>(res, 422)).error_codes).toEqual([
      'paging_skip_invalid',
      'from_invalid',
      'statuses_invalid',
    ]);
  });

  it('filters by statuses, payment_id, id and date range', async () => {
    const p1 = await payment({ reference: 'ORD-1' });
    const p2 = await payment();
    const a = await raise(p1);
    const b = await raise(p2);
    expect((await call('POST', `/disputes/${b.id}/accept`)).status).toBe(204);

    const byStatus = await json<Page>(await call('GET', '/disputes?statuses=accepted'), 200);
    expect(byStatus.data.map((d) => d.id)).toEqual([b.id]);
    const both = await json<Page>(await call('GET', '/disputes?statuses=accepted,evidence_required'), 200);
    expect(both.total_count).toBe(2);
    const byPayment = await json<Page>(await call('GET', `/disputes?payment_id=${p1}`), 200);
    expect(byPayment).toMatchObject({ payment_id: p1, total_count: 1 });
    expect(byPayment.data[0]?.id).toBe(a.id);
    const byRef = await json<Page>(await call('GET', '/disputes?payment_reference=ORD-1'), 200);
    expect(byRef.data.map((d) => d.id)).toEqual([a.id]);
    const byId = await json<Page>(await call('GET', `/disputes?id=${b.id}`), 200);
    expect(byId.data.map((d) => d.id)).toEqual([b.id]);
    const future = new Date(Date.parse(a.received_on) + 3600_000).toISOString();
    expect((await json<Page>(await call('GET', `/disputes?from=${future}`), 200)).total_count).toBe(0);
    expect((await json<Page>(await call('GET', `/disputes?to=${future}`), 200)).total_count).toBe(2);
  });
});

describe('dispute lifecycle', () => {
  it('reads one dispute and 404s an unknown one', async () => {
    const d = await raise(await payment());
    const one = await json<DisputeDetail>(await call('GET', `/disputes/${d.id}`), 200);
    expect(one).toMatchObject({ id: d.id, status: 'evidence_required', reason_code: expect.any(String) });
    expect(one._links.evidence.href).toBe(`http://sim.test/disputes/${d.id}/evidence`);
    expect((await call('GET', '/disputes/dsp_aaaaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await call('POST', '/disputes/dsp_aaaaaaaaaaaaaaaaaaaaaaaaaa/accept')).status).toBe(404);
  });

  it('accepting concedes (dispute_lost) and cannot be repeated', async () => {
    const d = await raise(await payment());
    expect((await call('POST', `/disputes/${d.id}/accept`)).status).toBe(204);
    expect((await json<DisputeDetail>(await call('GET', `/disputes/${d.id}`), 200)).status).toBe('accepted');
    expect(await eventTypesFor(d.id)).toEqual([
      'dispute_received',
      'dispute_evidence_required',
      'dispute_lost',
    ]);
    const again = await call('POST', `/disputes/${d.id}/accept`);
    expect((await json<{ error_type: string }>(again, 403)).error_type).toBe('action_not_allowed');
    const evidence = await call('PUT', `/disputes/${d.id}/evidence`, { invoice_or_receipt_text: 'x' });
    expect(evidence.status).toBe(403);
  });

  it('stages evidence, shows it, and a submission is won (dispute_won)', async () => {
    const d = await raise(await payment());
    expect((await call('POST', `/disputes/${d.id}/evidence`)).status).toBe(422);
    const put1 = await call('PUT', `/disputes/${d.id}/evidence`, {
      proof_of_delivery_or_service_text: 'Signed for at the door.',
    });
    expect(put1.status).toBe(204);
    const put2 = await call('PUT', `/disputes/${d.id}/evidence`, {
      invoice_or_receipt_file: 'file_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    });
    expect(put2.status).toBe(204);
    const staged = await json(await call('GET', `/disputes/${d.id}/evidence`), 200);
    expect(staged).toMatchObject({
      proof_of_delivery_or_service_text: 'Signed for at the door.',
      invoice_or_receipt_file: 'file_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    });
    // Staging decides nothing.
    expect((await json<DisputeDetail>(await call('GET', `/disputes/${d.id}`), 200)).status).toBe(
      'evidence_required',
    );
    expect((await call('POST', `/disputes/${d.id}/evidence`)).status).toBe(204);
    expect((await json<DisputeDetail>(await call('GET', `/disputes/${d.id}`), 200)).status).toBe('won');
    expect(await eventTypesFor(d.id)).toEqual([
      'dispute_received',
      'dispute_evidence_required',
      'dispute_won',
    ]);
    const again = await call('POST', `/disputes/${d.id}/evidence`);
    expect((await json<{ error_type: string }>(again, 403)).error_type).toBe('action_not_allowed');
  });

  it('evidence text containing "lose" makes the submission lose (dispute_lost)', async () => {
    const d = await raise(await payment());
    await call('PUT', `/disputes/${d.id}/evidence`, { additional_evidence_text: 'please lose this one' });
    expect((await call('POST', `/disputes/${d.id}/evidence`)).status).toBe(204);
    expect((await json<DisputeDetail>(await call('GET', `/disputes/${d.id}`), 200)).status).toBe('lost');
    expect(await eventTypesFor(d.id)).toEqual([
      'dispute_received',
      'dispute_evidence_required',
      'dispute_lost',
    ]);
  });

  it('names unknown and malformed evidence fields', async () => {
    const d = await raise(await payment());
    const res = await call('PUT', `/disputes/${d.id}/evidence`, {
      favourite_colour_text: 'blue',
      invoice_or_receipt_file: 'not-a-file-id',
      customer_communication_text: '',
    });
    expect((await json<{ error_codes: string[] }>(res, 422)).error_codes).toEqual([
      'evidence_field_unknown',
      'invoice_or_receipt_file_invalid',
      'customer_communication_text_invalid',
    ]);
    expect(await json(await call('GET', `/disputes/${d.id}/evidence`), 200)).not.toHaveProperty(
      'invoice_or_receipt_file',
    );
  });
});
