import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { subjectInbox } from '../../src/webhooks/stubs';
import { admin, adminJson, body, deliver, drain, envelope, KEY, newId, sign, URL_ } from './helpers';

afterEach(() => reset());

function approved(paymentId = newId('pay')) {
  return envelope(
    'payment_approved',
    { id: paymentId, action_id: newId('act'), amount: 1000, currency: 'GBP', response_code: '10000' },
    '2026-11-24T10:00:00.1234567Z',
  );
}

async function eventCount(): Promise<number> {
  return (await adminJson<{ total_count: number }>('/admin/events')).total_count;
}

async function quarantineCount(): Promise<number> {
  return (await adminJson<{ total_count: number }>('/admin/quarantine')).total_count;
}

/** Nothing about the event may exist anywhere after a rejected delivery. */
async function expectNoTrace(paymentId: string): Promise<void> {
  const stub = subjectInbox(env, paymentId);
  expect(await stub.feed(paymentId)).toEqual([]);
  expect(await eventCount()).toBe(0);
  expect(await quarantineCount()).toBe(0);
}

describe('POST /webhooks/checkout: authentication', () => {
  it('accepts a correctly signed delivery and acknowledges with 200', async () => {
    const e = approved();
    const res = await deliver(body(e));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, id: e.id, duplicate: false });
  });

  const cases: Array<[string, (b: string) => Promise<string | null>]> = [
    ['missing', async () => null],
    ['empty', async () => ''],
    ['truncated', async (b) => (await sign(b)).slice(0, 63)],
    ['upper-case', async (b) => (await sign(b)).toUpperCase()],
    ['signed with another key', async (b) => sign(b, 'some-other-key')],
    ['not hex', async () => 'z'.repeat(64)],
    ['prefixed (sha256=…)', async (b) => `sha256=${await sign(b)}`],
  ];
  for (const [name, signature] of cases) {
    it(`refuses a ${name} signature with 401 and leaves no trace`, async () => {
      const e = approved();
      const b = body(e);
      const res = await deliver(b, { signature: await signature(b) });
      expect(res.status).toBe(401);
      const err = (await res.json()) as Record<string, unknown>;
      expect(err).toMatchObject({ error_type: 'unauthorized', error_codes: ['signature_invalid'] });
      expect(JSON.stringify(err)).not.toContain(KEY);
      await expectNoTrace(e.data.id as string);
    });
  }

  it('refuses a body altered by one byte after signing', async () => {
    const e = approved();
    const b = body(e);
    const signature = await sign(b);
    const altered = b.replace('"amount":1000', '"amount":9000');
    expect(altered).not.toBe(b);
    const res = await deliver(altered, { signature });
    expect(res.status).toBe(401);
    await expectNoTrace(e.data.id as string);
  });

  it('verifies the exact bytes, not a re-serialisation (whitespace and escapes kept)', async () => {
    const e = approved();
    const spaced = JSON.stringify(e, null, 2).replace('"GBP"', '"\\u0047BP"');
    expect((await deliver(spaced)).status).toBe(200);
    // The catalogue is filled after the acknowledgement, by the subject's alarm.
    await drain([e.data.id as string]);
    const detail = await adminJson<{ event: { data: { currency: string } } }>(`/admin/events/${e.id}`);
    expect(detail.event.data.currency).toBe('GBP');
  });

  it('accepts any key of a rotated key list, and refuses keys not in it', async () => {
    const app = createApp();
    const rotated = { ...env, WEBHOOK_SIGNING_KEYS: ' whsec_old_key , whsec_new_key ' };
    for (const key of ['whsec_old_key', 'whsec_new_key']) {
      const b = body(approved());
      const res = await app.request(
        URL_,
        { method: 'POST', body: b, headers: { 'cko-signature': await sign(b, key) } },
        rotated,
      );
      expect(res.status).toBe(200);
    }
    const b = body(approved());
    const res = await app.request(
      URL_,
      { method: 'POST', body: b, headers: { 'cko-signature': await sign(b, KEY) } },
      rotated,
    );
    expect(res.status).toBe(401);
  });

  it('refuses everything when no signing key is configured', async () => {
    const b = body(approved());
    const res = await createApp().request(
      URL_,
      { method: 'POST', body: b, headers: { 'cko-signature': await sign(b) } },
      { ...env, WEBHOOK_SIGNING_KEYS: '' },
    );
    expect(res.status).toBe(401);
  });

  it('also requires the workflow action header when WEBHOOK_AUTH_HEADER_VALUE is set', async () => {
    const app = createApp();
    const withHeader = { ...env, WEBHOOK_AUTH_HEADER_VALUE: 'shared-secret-7f3a' };
    const send = async (authorization?: string) => {
      const e = approved();
      const b = body(e);
      const headers: Record<string, string> = { 'cko-signature': await sign(b) };
      if (authorization !== undefined) headers.authorization = authorization;
      return { res: await app.request(URL_, { method: 'POST', body: b, headers }, withHeader), e };
    };
    expect((await send()).res.status).toBe(401);
    const wrong = await send('shared-secret-7f3b');
    expect(wrong.res.status).toBe(401);
    await expectNoTrace(wrong.e.data.id as string);
    expect((await send('shared-secret-7f3a')).res.status).toBe(200);
  });

  it('compares the scheme of the workflow action header case-insensitively (RFC 9110 §11.1)', async () => {
    const app = createApp();
    const withHeader = { ...env, WEBHOOK_AUTH_HEADER_VALUE: 'Bearer shared-secret-7f3a' };
    const send = async (authorization: string) => {
      const b = body(approved());
      const headers = { 'cko-signature': await sign(b), authorization };
      return (await app.request(URL_, { method: 'POST', body: b, headers }, withHeader)).status;
    };
    expect(await send('bearer shared-secret-7f3a')).toBe(200);
    expect(await send('BEARER shared-secret-7f3a')).toBe(200);
    // The credential itself stays exact.
    expect(await send('bearer SHARED-SECRET-7F3A')).toBe(401);
  });

  it('answers other methods with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await exports.default.fetch(URL_, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ error_type: 'method_not_allowed' });
    }
  });
});

describe('POST /webhooks/checkout: body handling', () => {
  it('answers 413 for a body over the cap, before verifying or storing anything', async () => {
    const e = approved();
    const big = JSON.stringify({ ...e, padding: 'x'.repeat(300 * 1024) });
    const res = await deliver(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error_type: 'payload_too_large',
      error_codes: ['body_too_large'],
    });
    await expectNoTrace(e.data.id as string);
  });

  it('answers 413 for a streamed (chunked) oversize body too', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 6) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await exports.default.fetch(URL_, {
      method: 'POST',
      body: stream,
      headers: { 'cko-signature': 'a'.repeat(64) },
    });
    expect(res.status).toBe(413);
  });

  it('acknowledges signed malformed JSON with 200 (no futile redeliveries) and keeps it in quarantine', async () => {
    const b = '{"id":"evt_abc","type":"payment_approved","note":"café",';
    const res = await deliver(b);
    expect(res.status).toBe(200);
    const ack = (await res.json()) as {
      received: boolean;
      quarantined: boolean;
      error_codes: string[];
      message: string;
    };
    expect(ack).toMatchObject({ received: false, quarantined: true, error_codes: ['body_not_json'] });
    expect(ack.message).not.toContain(b);
    const q = await adminJson<{ total_count: number; data: Array<{ codes: string[]; size: number }> }>(
      '/admin/quarantine',
    );
    expect(q.total_count).toBe(1);
    // The size is the bytes received ("é" is two bytes), not a string length.
    expect(q.data[0]).toMatchObject({
      codes: ['body_not_json'],
      size: new TextEncoder().encode(b).byteLength,
    });
    expect(await eventCount()).toBe(0);
  });

  it('keeps one quarantine entry per distinct body, counting redeliveries', async () => {
    const b = '{"not":"an envelope"';
    for (let i = 0; i < 3; i++) expect((await deliver(b)).status).toBe(200);
    expect((await deliver(`${b} `)).status).toBe(200);
    const q = await adminJson<{ total_count: number; data: Array<{ deliveries: number; size: number }> }>(
      '/admin/quarantine',
    );
    expect(q.total_count).toBe(2);
    expect(q.data.map((d) => d.deliveries).sort()).toEqual([1, 3]);
  });

  it('records the size in bytes of a signed body that is not UTF-8', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x22]);
    const res = await deliver(bytes);
    expect(res.status).toBe(200);
    const q = await adminJson<{ data: Array<{ size: number }> }>('/admin/quarantine');
    expect(q.data[0]?.size).toBe(5);
  });

  it('quarantines and acknowledges a signed envelope that breaks the schema, naming the fields', async () => {
    const res = await deliver(JSON.stringify({ id: 'nope', type: 'payment_approved', data: {} }));
    expect(res.status).toBe(200);
    const err = (await res.json()) as { error_codes: string[] };
    expect(err.error_codes).toEqual(expect.arrayContaining(['id_invalid', 'created_on_invalid']));
    const bad = envelope('payment_captured', { id: newId('pay'), amount: -5 }, '2026-11-24T10:00:00Z');
    const res2 = await deliver(body(bad));
    expect(res2.status).toBe(200);
    expect(((await res2.json()) as { error_codes: string[] }).error_codes).toEqual(['data_invalid']);
    expect(await quarantineCount()).toBe(2);
  });

  it('stores and acknowledges an event type it does not know', async () => {
    const subject = newId('pay');
    const e = envelope(
      'payment_paid_by_carrier_pigeon',
      { id: subject, whatever: [1, 2] },
      '2026-11-24T10:00:00Z',
    );
    const res = await deliver(body(e));
    expect(res.status).toBe(200);
    const feed = await subjectInbox(env, subject).feed(subject);
    expect(feed).toEqual([expect.objectContaining({ id: e.id, type: 'payment_paid_by_carrier_pigeon' })]);
  });

  it('acknowledges a repeat delivery as a duplicate and records it once', async () => {
    const e = approved();
    const b = body(e);
    expect(await (await deliver(b)).json()).toMatchObject({ duplicate: false });
    expect(await (await deliver(b)).json()).toMatchObject({ duplicate: true });
    const feed = await subjectInbox(env, e.data.id as string).feed(e.data.id as string);
    expect(feed).toHaveLength(1);
  });
});

describe('admin token', () => {
  it('refuses missing and wrong tokens with 401 in the one error shape', async () => {
    for (const authorization of [
      undefined,
      'Bearer nope',
      'bollard_admin_dev',
      'Basic bollard_admin_dev',
      'Bearer  bollard_admin_dev',
      'Bearer bollard_admin_de',
    ]) {
      const headers: Record<string, string> = {};
      if (authorization !== undefined) headers.authorization = authorization;
      const res = await exports.default.fetch('http://bollard.test/admin/events', { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        error_type: 'unauthorized',
        error_codes: ['admin_token_invalid'],
      });
    }
    expect((await admin('/admin/events')).status).toBe(200);
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await exports.default.fetch('http://bollard.test/admin/events', {
        headers: { authorization: `${scheme} bollard_admin_dev` },
      });
      expect(res.status).toBe(200);
    }
  });

  it('validates paging and filters, naming the field', async () => {
    for (const [q, code] of [
      ['limit=0', 'limit_invalid'],
      ['limit=abc', 'limit_invalid'],
      ['skip=-1', 'skip_invalid'],
      ['status=weird', 'status_invalid'],
      ['subject=foo', 'subject_invalid'],
    ]) {
      const res = await admin(`/admin/events?${q}`);
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ error_codes: [code] });
    }
  });

  it('keeps the demo feed closed unless DEMO_ENABLED is true', async () => {
    const res = await exports.default.fetch(
      `http://bollard.test/v1/events/recent?payment_id=${newId('pay')}`,
    );
    expect(res.status).toBe(404);
  });
});
