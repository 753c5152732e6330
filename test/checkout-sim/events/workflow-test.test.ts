import { reset } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_CREDENTIALS } from '../../../src/dev/credentials';
import {
  admin,
  bytesOf,
  call,
  compressTime,
  createWorkflow,
  deliveries,
  hmacHex,
  json,
  received,
  settle,
  sinkBase,
} from './support/helpers';

/**
 * `POST /workflows/{id}/test` as the SDKs call it (`workflows.test(id, { event_types })` → 204): sample
 * events of each requested type go to that workflow's webhook actions, signed with `Cko-Signature`, and
 * nowhere else; the route is scoped like the other workflow routes, and exists in the sandbox only.
 */
beforeEach(async () => {
  await compressTime();
});

afterEach(async () => {
  await reset();
});

const test = (id: string, body: unknown, key?: string) => call('POST', `/workflows/${id}/test`, body, key);

/** An OAuth access token of the dev client carrying `scope`. */
async function fetchToken(scope: string): Promise<string> {
  const res = await exports.default.fetch(
    new Request('http://sim.test/connect/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEV_CREDENTIALS.oauthClientId,
        client_secret: DEV_CREDENTIALS.oauthClientSecret,
        scope,
      }).toString(),
    }),
  );
  return (await json<{ access_token: string }>(res, 200)).access_token;
}

describe('POST /workflows/{id}/test', () => {
  it('delivers one signed sample event per type to the workflow’s actions, and answers 204', async () => {
    const sink = sinkBase();
    const key = 'whsec_workflow_test_key';
    const wf = await createWorkflow({
      url: sink.url('/hook'),
      key,
      headers: { Authorization: 'shared-secret' },
      // The test names its event types; the workflow's own event condition is not consulted.
      events: { gateway: ['payment_captured'] },
    });
    const other = sinkBase();
    await createWorkflow({ url: other.url('/hook') });

    const res = await test(wf, { event_types: ['payment_approved', 'dispute_evidence_required'] });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const log = await settle();

    const got = await received(sink.prefix);
    const envelopes = got.map((r) => JSON.parse(new TextDecoder().decode(bytesOf(r))));
    expect(envelopes.map((e) => e.type)).toEqual(['payment_approved', 'dispute_evidence_required']);
    for (const r of got) {
      expect(r.headers['cko-signature']).toBe(await hmacHex(key, bytesOf(r)));
      expect(r.headers.authorization).toBe('shared-secret');
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(envelopes[0]).toMatchObject({
      id: expect.stringMatching(/^evt_[a-z2-7]{26}$/),
      created_on: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        id: expect.stringMatching(/^pay_[a-z2-7]{26}$/),
        action_id: expect.stringMatching(/^act_/),
        currency: 'GBP',
        response_code: '10000',
      },
    });
    expect(envelopes[1]).toMatchObject({
      data: { id: expect.stringMatching(/^dsp_[a-z2-7]{26}$/), payment_id: expect.stringMatching(/^pay_/) },
    });
    // The other workflow got nothing; the log shows the deliveries as tests, and the events are readable.
    expect(await received(other.prefix)).toEqual([]);
    expect(log.filter((d) => d.workflow_id === wf).map((d) => [d.kind, d.status])).toEqual([
      ['test', 'delivered'],
      ['test', 'delivered'],
    ]);
    expect(log.filter((d) => d.workflow_id !== wf)).toEqual([]);
    expect(await deliveries(`&workflow_id=${wf}&kind=test`)).toHaveLength(2);
    const stored = await json(await call('GET', `/workflows/events/${envelopes[0].id}`), 200);
    expect(stored).toEqual(envelopes[0]);
  });

  it('also tests an inactive workflow, and a repeated type is sent once', async () => {
    const sink = sinkBase();
    const wf = await createWorkflow({ url: sink.url('/hook'), active: false });
    expect((await test(wf, { event_types: ['card_verified', 'card_verified'] })).status).toBe(204);
    await settle();
    const got = await received(sink.prefix);
    expect(got.map((r) => JSON.parse(new TextDecoder().decode(bytesOf(r))).type)).toEqual(['card_verified']);
  });

  it('404 for an unknown workflow; 422 naming event_types for a bad body; 400 for a body that is not JSON', async () => {
    const wf = await createWorkflow({ url: sinkBase().url('/hook') });
    expect((await test('wf_unknownunknownunknownunknow', { event_types: ['payment_approved'] })).status).toBe(
      404,
    );
    for (const [body, code] of [
      [{}, 'event_types_required'],
      [{ event_types: [] }, 'event_types_invalid'],
      [{ event_types: 'payment_approved' }, 'event_types_invalid'],
      [{ event_types: ['payment_approved', 'not_an_event'] }, 'event_types_invalid'],
      [{ event_types: [7] }, 'event_types_invalid'],
    ] as const) {
      const res = await test(wf, body);
      expect(await json(res, 422)).toMatchObject({
        request_id: expect.any(String),
        error_type: 'request_invalid',
        error_codes: [code],
      });
    }
    const malformed = await test(wf, '{"event_types": [');
    expect(await json(malformed, 400)).toMatchObject({ error_codes: ['request_body_invalid'] });
    expect(await deliveries()).toEqual([]);
  });

  it('is scoped like the workflow routes: any secret key; a token needs flow or flow:workflows; never the public key', async () => {
    const wf = await createWorkflow({ url: sinkBase().url('/hook') });
    const body = { event_types: ['payment_approved'] };
    await admin('POST', '/_sim/config', {
      keys: { sk_sbox_noscopesatallaaaaaaaaaaaaaq: { kind: 'secret', scopes: [] } },
    });
    expect((await test(wf, body, 'sk_sbox_noscopesatallaaaaaaaaaaaaaq')).status).toBe(204);
    expect((await test(wf, body, await fetchToken('flow:workflows'))).status).toBe(204);
    expect((await test(wf, body, await fetchToken('flow'))).status).toBe(204);
    const refused = await test(wf, body, await fetchToken('gateway'));
    expect(await json(refused, 403)).toMatchObject({
      error_type: 'forbidden',
      error_codes: ['insufficient_scope'],
    });
    expect((await test(wf, body, DEV_CREDENTIALS.publicKey)).status).toBe(401);
    expect((await test(wf, body, 'sk_sbox_notakeyatall')).status).toBe(401);
  });

  it('exists in the sandbox only: a simulator set to production answers 404 and sends nothing', async () => {
    const wf = await createWorkflow({ url: sinkBase().url('/hook') });
    await json(await admin('POST', '/_sim/config', { environment: 'production' }), 200);
    expect((await test(wf, { event_types: ['payment_approved'] })).status).toBe(404);
    expect(await deliveries()).toEqual([]);
    expect(await json(await admin('POST', '/_sim/config', { environment: 'staging' }), 422)).toMatchObject({
      error_codes: ['environment_invalid'],
    });
    await json(await admin('POST', '/_sim/config', { environment: 'sandbox' }), 200);
    expect((await test(wf, { event_types: ['payment_approved'] })).status).toBe(204);
  });

  it('counts under its own route in the stats', async () => {
    const wf = await createWorkflow({ url: sinkBase().url('/hook') });
    await test(wf, { event_types: ['payment_approved'] });
    const stats = await json<{ requests: { by_route: Record<string, number> } }>(
      await admin('GET', '/_sim/stats'),
      200,
    );
    expect(stats.requests.by_route['POST /workflows/{id}/test']).toBe(1);
  });
});
