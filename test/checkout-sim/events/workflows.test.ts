import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { call, json } from './support/helpers';

afterEach(async () => {
  await reset();
});

const valid = () => ({
  name: 'Payments to my shop',
  conditions: [
    {
      type: 'event',
      events: { gateway: ['payment_approved', 'payment_captured'], dispute: ['dispute_won'] },
    },
    { type: 'processing_channel', processing_channels: ['pc_aaaaaaaaaaaaaaaaaaaaaaaaaa'] },
  ],
  actions: [
    {
      type: 'webhook',
      url: 'https://shop.example/webhooks',
      headers: { Authorization: 'shared-secret-header' },
      signature: { method: 'HMACSHA256', key: 'whsec_super_secret' },
    },
  ],
});

interface WorkflowDetail {
  id: string;
  name: string;
  active: boolean;
  conditions: { id: string; type: string; events?: Record<string, string[]> }[];
  actions: {
    id: string;
    type: string;
    url: string;
    headers: Record<string, string>;
    signature: Record<string, string>;
  }[];
  _links: { self: { href: string } };
}

describe('workflows CRUD', () => {
  it('creates, lists, reads, updates and deletes a workflow', async () => {
    const created = await json<{ id: string; _links: { self: { href: string } } }>(
      await call('POST', '/workflows', valid()),
      201,
    );
    expect(created.id).toMatch(/^wf_[a-z2-7]{26}$/);
    expect(created._links.self.href).toBe(`http://sim.test/workflows/${created.id}`);

    const list = await json<{ data: Record<string, unknown>[] }>(await call('GET', '/workflows'), 200);
    expect(list.data).toEqual([
      {
        id: created.id,
        name: 'Payments to my shop',
        active: true,
        _links: { self: { href: created._links.self.href } },
      },
    ]);

    const one = await json<WorkflowDetail>(await call('GET', `/workflows/${created.id}`), 200);
    expect(one.name).toBe('Payments to my shop');
    expect(one.conditions.map((c) => c.id)).toEqual([
      expect.stringMatching(/^wfc_/),
      expect.stringMatching(/^wfc_/),
    ]);
    expect(one.conditions[0]?.events).toEqual({
      gateway: ['payment_approved', 'payment_captured'],
      dispute: ['dispute_won'],
    });
    expect(one.actions[0]).toMatchObject({
      id: expect.stringMatching(/^wfa_/),
      type: 'webhook',
      url: 'https://shop.example/webhooks',
      signature: { method: 'HMACSHA256' },
    });
    // Secrets are never echoed: neither the signing key nor header values.
    const text = JSON.stringify(one);
    expect(text).not.toContain('whsec_super_secret');
    expect(text).not.toContain('shared-secret-header');
    expect(one.actions[0]?.headers).toEqual({ Authorization: '[redacted]' });

    const patched = await json<WorkflowDetail>(
      await call('PATCH', `/workflows/${created.id}`, { name: 'Renamed', active: false }),
      200,
    );
    expect(patched).toMatchObject({ id: created.id, name: 'Renamed', active: false });
    expect(patched.actions[0]?.id).toBe(one.actions[0]?.id);

    const replaced = await json<WorkflowDetail>(
      await call('PATCH', `/workflows/${created.id}`, {
        actions: [{ type: 'webhook', url: 'https://other.example/hook', signature: { key: 'k2' } }],
      }),
      200,
    );
    expect(replaced.actions).toHaveLength(1);
    expect(replaced.actions[0]?.url).toBe('https://other.example/hook');
    expect(replaced.actions[0]?.id).not.toBe(one.actions[0]?.id);

    const del = await call('DELETE', `/workflows/${created.id}`);
    expect(del.status).toBe(204);
    expect((await call('GET', `/workflows/${created.id}`)).status).toBe(404);
    expect((await call('DELETE', `/workflows/${created.id}`)).status).toBe(404);
    expect(await json(await call('GET', '/workflows'), 200)).toEqual({ data: [] });
  });

  it('answers 404 for unknown workflows', async () => {
    expect((await call('GET', '/workflows/wf_aaaaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await call('PATCH', '/workflows/wf_aaaaaaaaaaaaaaaaaaaaaaaaaa', { name: 'x' })).status).toBe(404);
  });

  it('lists the event types a condition may name', async () => {
    const types = await json<{ id: string; events: { id: string }[] }[]>(
      await call('GET', '/workflows/event-types'),
      200,
    );
    const all = types.flatMap((g) => g.events.map((e) => e.id));
    for (const e of ['payment_approved', 'card_verified', 'dispute_received', 'dispute_lost'])
      expect(all).toContain(e);
  });
});

describe('workflow validation', () => {
  const codesFor = async (body: unknown, method = 'POST', path = '/workflows') => {
    const res = await call(method, path, body);
    const out = await json<{ error_type: string; error_codes: string[]; request_id: string }>(res, 422);
    expect(out.error_type).toBe('request_invalid');
    expect(out.request_id).toBeTruthy();
    return out.error_codes;
  };

  it('needs a name, a condition and an action', async () => {
    expect(await codesFor({})).toEqual(['workflow_name_required', 'conditions_required', 'actions_required']);
    expect(await codesFor({ ...valid(), conditions: [] })).toEqual(['conditions_required']);
    expect(await codesFor({ ...valid(), actions: [] })).toEqual(['actions_required']);
  });

  it('names the bad webhook url and signature key', async () => {
    const action = (patch: Record<string, unknown>) => ({
      ...valid(),
      actions: [{ ...valid().actions[0], ...patch }],
    });
    expect(await codesFor(action({ url: undefined }))).toEqual(['action_url_required']);
    expect(await codesFor(action({ url: 'not a url' }))).toEqual(['action_url_invalid']);
    expect(await codesFor(action({ url: 'ftp://x.example/h' }))).toEqual(['action_url_invalid']);
    expect(await codesFor(action({ signature: undefined }))).toEqual(['action_signature_key_required']);
    expect(await codesFor(action({ signature: { key: '' } }))).toEqual(['action_signature_key_required']);
    expect(await codesFor(action({ signature: { key: 'k', method: 'MD5' } }))).toEqual([
      'action_signature_method_invalid',
    ]);
    expect(await codesFor(action({ headers: { 'bad header': 'x' } }))).toEqual(['action_headers_invalid']);
    expect(await codesFor(action({ type: 'email' }))).toEqual(['action_type_invalid']);
  });

  it('names bad conditions', async () => {
    expect(
      await codesFor({ ...valid(), conditions: [{ type: 'event', events: { gateway: ['no_such_event'] } }] }),
    ).toEqual(['condition_events_invalid']);
    expect(await codesFor({ ...valid(), conditions: [{ type: 'weather' }] })).toEqual([
      'condition_type_invalid',
    ]);
    expect(
      await codesFor({
        ...valid(),
        conditions: [
          { type: 'event', events: { gateway: ['payment_approved'] } },
          { type: 'event', events: { dispute: ['dispute_won'] } },
        ],
      }),
    ).toEqual(['conditions_duplicate_type']);
  });

  it('validates a patch the same way and leaves the workflow unchanged', async () => {
    const { id } = await json<{ id: string }>(await call('POST', '/workflows', valid()), 201);
    expect(await codesFor({ actions: [] }, 'PATCH', `/workflows/${id}`)).toEqual(['actions_required']);
    expect(await codesFor({ active: 'yes' }, 'PATCH', `/workflows/${id}`)).toEqual([
      'workflow_active_invalid',
    ]);
    const one = await json<WorkflowDetail>(await call('GET', `/workflows/${id}`), 200);
    expect(one.actions).toHaveLength(1);
    expect(one.active).toBe(true);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await call('POST', '/workflows', '{nope');
    expect(res.status).toBe(400);
  });
});
