import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  compressTime,
  createWorkflow,
  json,
  payment,
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

interface Detail {
  conditions: { id: string; type: string }[];
  actions: { id: string; url: string }[];
}

const detail = async (id: string) => json<Detail>(await call('GET', `/workflows/${id}`), 200);

describe('workflow actions and conditions, one at a time', () => {
  it('adds, replaces and removes actions; the last one cannot go', async () => {
    const a = sinkBase();
    const b = sinkBase();
    const wf = await createWorkflow({ url: a.url(), events: { gateway: ['payment_approved'] } });
    const added = await json<{ id: string; _links: { self: { href: string } } }>(
      await call('POST', `/workflows/${wf}/actions`, {
        type: 'webhook',
        url: b.url(),
        signature: { key: 'kb' },
      }),
      201,
    );
    expect(added.id).toMatch(/^wfa_/);
    expect(added._links.self.href).toBe(`http://sim.test/workflows/${wf}/actions/${added.id}`);
    await payment({ capture: false });
    await settle();
    expect(await received(a.prefix)).toHaveLength(1);
    expect(await received(b.prefix)).toHaveLength(1);

    const first = (await detail(wf)).actions[0]?.id ?? '';
    const replaced = await call('PUT', `/workflows/${wf}/actions/${first}`, {
      type: 'webhook',
      url: b.url('/second'),
      signature: { key: 'kc' },
    });
    expect((await json<{ id: string; url: string }>(replaced, 200)).url).toBe(b.url('/second'));
    expect((await call('DELETE', `/workflows/${wf}/actions/${added.id}`)).status).toBe(204);
    expect((await detail(wf)).actions.map((x) => x.id)).toEqual([first]);
    const last = await call('DELETE', `/workflows/${wf}/actions/${first}`);
    expect((await json<{ error_codes: string[] }>(last, 422)).error_codes).toEqual(['actions_required']);
    expect((await call('DELETE', `/workflows/${wf}/actions/wfa_aaaaaaaaaaaaaaaaaaaaaaaaaa`)).status).toBe(
      404,
    );
    const bad = await call('POST', `/workflows/${wf}/actions`, { type: 'webhook', url: 'nope' });
    expect((await json<{ error_codes: string[] }>(bad, 422)).error_codes).toEqual([
      'action_url_invalid',
      'action_signature_key_required',
    ]);
  });

  it('adds, replaces and removes conditions, one per type', async () => {
    const wf = await createWorkflow({ url: sinkBase().url(), events: { gateway: ['payment_approved'] } });
    const channel = await json<{ id: string }>(
      await call('POST', `/workflows/${wf}/conditions`, {
        type: 'processing_channel',
        processing_channels: ['pc_aaaaaaaaaaaaaaaaaaaaaaaaaa'],
      }),
      201,
    );
    expect(channel.id).toMatch(/^wfc_/);
    const dup = await call('POST', `/workflows/${wf}/conditions`, {
      type: 'event',
      events: { dispute: ['dispute_won'] },
    });
    expect((await json<{ error_codes: string[] }>(dup, 422)).error_codes).toEqual([
      'conditions_duplicate_type',
    ]);
    const eventCondition = (await detail(wf)).conditions.find((x) => x.type === 'event')?.id ?? '';
    const put = await call('PUT', `/workflows/${wf}/conditions/${eventCondition}`, {
      type: 'event',
      events: { dispute: ['dispute_won'] },
    });
    expect(await json(put, 200)).toMatchObject({ id: eventCondition, events: { dispute: ['dispute_won'] } });
    expect((await call('DELETE', `/workflows/${wf}/conditions/${channel.id}`)).status).toBe(204);
    const last = await call('DELETE', `/workflows/${wf}/conditions/${eventCondition}`);
    expect((await json<{ error_codes: string[] }>(last, 422)).error_codes).toEqual(['conditions_required']);
  });

  it('a processing-channel condition filters events by the payment they are about', async () => {
    const sink = sinkBase();
    const wf = await createWorkflow({ url: sink.url(), events: { gateway: ['payment_approved'] } });
    await call('POST', `/workflows/${wf}/conditions`, {
      type: 'processing_channel',
      processing_channels: ['pc_bbbbbbbbbbbbbbbbbbbbbbbbbb'],
    });
    const pay = (channel?: string) =>
      call('POST', '/payments', {
        amount: 100,
        currency: 'GBP',
        capture: false,
        ...(channel ? { processing_channel_id: channel } : {}),
        source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2035, cvv: '100' },
      });
    const matching = await json<{ id: string }>(await pay('pc_bbbbbbbbbbbbbbbbbbbbbbbbbb'), 201);
    await json(await pay('pc_cccccccccccccccccccccccccc'), 201);
    await json(await pay(), 201);
    await settle();
    const got = (await received(sink.prefix)).map((r) => JSON.parse(atob(r.body_base64)).data.id);
    expect(got).toEqual([matching.id]);
  });
});

describe('GET /workflows/events/{eventId}/actions/{actionId}', () => {
  it('lists every attempt of an action for an event', async () => {
    const sink = sinkBase();
    const wf = await createWorkflow({ url: sink.url('/fail/1'), events: { gateway: ['payment_approved'] } });
    await payment({ capture: false });
    const [d] = await settle();
    const actionId = (await detail(wf)).actions[0]?.id ?? '';
    const res = await call('GET', `/workflows/events/${d?.event_id}/actions/${actionId}`);
    const body = await json<{
      status: string;
      workflow_id: string;
      action_invocations: Record<string, unknown>[];
    }>(res, 200);
    expect(body).toMatchObject({ workflow_id: wf, status: 'successful' });
    expect(body.action_invocations).toEqual([
      expect.objectContaining({
        retry: false,
        succeeded: false,
        final: false,
        result_details: { status_code: 503 },
      }),
      expect.objectContaining({
        retry: true,
        succeeded: true,
        final: true,
        result_details: { status_code: 200 },
      }),
    ]);
    expect(
      (await call('GET', `/workflows/events/${d?.event_id}/actions/wfa_aaaaaaaaaaaaaaaaaaaaaaaaaa`)).status,
    ).toBe(404);
  });
});
