import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS } from '../../../src/catalog';
import {
  admin,
  bytesOf,
  call,
  compressTime,
  createWorkflow,
  json,
  received,
  settle,
  sinkBase,
} from './support/helpers';

beforeEach(async () => {
  await compressTime();
});

afterEach(async () => {
  await reset();
});

interface Triggered {
  type: string;
  payment_id: string;
  dispute_id?: string;
  events: { id: string; type: string }[];
}

describe('POST /_sim/trigger', () => {
  it.each(EVENTS.map((e) => e.type))('%s: emits a realistic event and delivers it', async (type) => {
    const sink = sinkBase();
    await createWorkflow({
      url: sink.url(),
      events: type.startsWith('dispute') ? { dispute: [type] } : { gateway: [type] },
    });
    const out = await json<Triggered>(await admin('POST', '/_sim/trigger', { type }), 201);
    expect(out.type).toBe(type);
    expect(out.payment_id).toMatch(/^pay_/);
    expect(out.events.map((e) => e.type)).toContain(type);
    await settle();
    const got = (await received(sink.prefix)).map((r) => JSON.parse(new TextDecoder().decode(bytesOf(r))));
    expect(got).toHaveLength(1);
    const [event] = got;
    expect(event.type).toBe(type);
    expect(event.id).toBe(out.events.find((e) => e.type === type)?.id);
    if (type.startsWith('dispute')) {
      expect(out.dispute_id).toMatch(/^dsp_/);
      expect(event.data).toMatchObject({ id: out.dispute_id, payment_id: out.payment_id });
    } else {
      expect(event.data.id).toBe(out.payment_id);
    }
    // The state behind the event is real: the payment exists through the public API.
    const pay = await json<{ status: string }>(await call('GET', `/payments/${out.payment_id}`), 200);
    const expected: Record<string, string> = {
      payment_approved: 'Authorized',
      payment_declined: 'Declined',
      card_verified: 'Card Verified',
      payment_captured: 'Captured',
      payment_refunded: 'Refunded',
      payment_voided: 'Voided',
    };
    if (expected[type]) expect(pay.status).toBe(expected[type]);
  });

  it('dispute triggers leave the dispute in the matching state', async () => {
    const won = await json<Triggered>(await admin('POST', '/_sim/trigger', { type: 'dispute_won' }), 201);
    const lost = await json<Triggered>(await admin('POST', '/_sim/trigger', { type: 'dispute_lost' }), 201);
    const open = await json<Triggered>(
      await admin('POST', '/_sim/trigger', { type: 'dispute_received' }),
      201,
    );
    const status = async (id?: string) =>
      (await json<{ status: string }>(await call('GET', `/disputes/${id}`), 200)).status;
    expect(await status(won.dispute_id)).toBe('won');
    expect(await status(lost.dispute_id)).toBe('accepted');
    expect(await status(open.dispute_id)).toBe('evidence_required');
    expect(open.events.map((e) => e.type)).toEqual([
      'payment_approved',
      'payment_captured',
      'dispute_received',
      'dispute_evidence_required',
    ]);
  });

  it('refuses an unknown type, listing the ten', async () => {
    const res = await admin('POST', '/_sim/trigger', { type: 'payment_exploded' });
    const body = await json<{ error_codes: string[]; message: string }>(res, 422);
    expect(body.error_codes).toEqual(['type_invalid']);
    for (const e of EVENTS) expect(body.message).toContain(e.type);
    expect((await call('POST', '/_sim/trigger', { type: 'payment_approved' })).status).toBe(401);
  });
});
