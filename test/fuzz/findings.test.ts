import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentDirectory } from '../../src/agents/objects/stubs';
import { appendedSince, chainHeads } from './support/agents';
import { ADMIN_TOKEN, adminCall, BASE, type FuzzAgent, send } from './support/bollard';

/**
 * What the fuzz suite found, and the small truths the issue asked to verify, pinned one by one (each a
 * regression test for its fix; see the fuzz files for the properties that found them).
 */

const MCP_HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };

function mcp(
  key: string | null,
  body: BodyInit | null,
  headers: Record<string, string> = {},
  method = 'POST',
) {
  const h: Record<string, string> = { ...MCP_HEADERS, ...headers };
  if (key !== null) h.authorization = `Bearer ${key}`;
  return send(new Request(`${BASE}/agent/mcp`, { method, headers: h, ...(body === null ? {} : { body }) }));
}

function utf16le(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++)
    new DataView(out.buffer).setUint16(2 + i * 2, text.charCodeAt(i), true);
  return out;
}

async function createAgent(body: Record<string, unknown>): Promise<FuzzAgent> {
  const res = await adminCall('POST', '/admin/agents', body);
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as FuzzAgent;
}

describe('MCP: a body that is not a JSON-RPC message is a 400 with a JSON-RPC error, not a 500', () => {
  let agent: FuzzAgent;
  beforeAll(async () => {
    agent = await createAgent({ name: 'mcp findings', grants: { payments: 'read' } });
  });

  it.each([
    ['-1', 'application/json', -32600],
    ['"garbage"', 'application/json', -32600],
    ['{"a":1}', 'application/json', -32600],
    ['{"jsonrpc":"1.0","id":1,"method":"tools/list"}', 'application/json', -32600],
    ['[]', 'application/json', -32600],
    ['[1,2]', 'application/json', -32600],
    ['[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"a":1}]', 'application/json', -32600],
    ['', 'application/json', -32700],
    ['not json', 'application/json', -32700],
    ['{"jsonrpc":"2.0"', 'application/json', -32700],
    ['a=1&b=2', 'application/x-www-form-urlencoded', -32700],
  ])('%j (%s) → 400 with code %i', async (body, type, code) => {
    const res = await mcp(agent.key, body, { 'content-type': type });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code, message: expect.any(String) },
    });
  });

  it('answers a UTF-16 body as not JSON, and quotes nothing of a body in its error', async () => {
    const utf16 = await mcp(agent.key, utf16le('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'), {
      'content-type': 'application/json; charset=utf-16',
    });
    expect(utf16.status).toBe(400);
    expect((JSON.parse(utf16.text) as { error: { code: number } }).error.code).toBe(-32700);
    // The SDK transport put the parser's message (which quotes the body) in `error.data`.
    const card = await mcp(agent.key, '4242424242424242x');
    expect(card.status).toBe(400);
    expect(card.text).not.toContain('4242424242424242');
    expect(JSON.parse(card.text).error).not.toHaveProperty('data');
  });

  it('still checks the key first: a bad key with a broken body is a 401', async () => {
    const res = await mcp(`${agent.key.slice(0, -4)}aaaa`, 'not json');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({
      error_type: 'unauthorized',
      error_codes: ['agent_key_invalid'],
    });
  });

  it('answers notifications with 202 and no body, and a batch of requests with an array', async () => {
    const notification = await mcp(agent.key, '[{"jsonrpc":"2.0","method":"notifications/initialized"}]');
    expect(notification.status).toBe(202);
    expect(notification.text).toBe('');
    const batch = await mcp(
      agent.key,
      '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"ping"}]',
    );
    expect(batch.status).toBe(200);
    const answers = JSON.parse(batch.text) as Array<{ id: number }>;
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2]);
  });

  it('answers GET and DELETE with 405 and Allow: POST (stateless: no stream to open, no session to end)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await mcp(agent.key, null, { accept: 'text/event-stream' }, method);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect((JSON.parse(res.text) as { error: { code: number } }).error.code).toBe(-32000);
    }
    expect((await mcp(null, null, {}, 'GET')).status).toBe(401);
  });

  it('records neither protocol messages (initialize, tools/list) nor malformed ones in the audit', async () => {
    const heads = await chainHeads([agent.id, 'anonymous']);
    const init = await mcp(
      agent.key,
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}',
    );
    expect(init.status).toBe(200);
    expect((await mcp(agent.key, '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')).status).toBe(200);
    expect((await mcp(agent.key, '[]')).status).toBe(400);
    // (Key refusals of earlier requests may be counted into an `attempts` entry when a chain is read.)
    expect((await appendedSince(heads)).filter((e) => e.kind !== 'attempts')).toEqual([]);
  });
});

describe('agents: a new agent cannot be created already expired', () => {
  it('answers 422 naming expires_at and creates nothing; an update may still end a key now', async () => {
    const before = (await agentDirectory(env).list({ limit: 1, skip: 0 })).total_count;
    const res = await adminCall('POST', '/admin/agents', {
      name: 'expired at birth',
      grants: { payments: 'read' },
      expires_at: '2020-01-01T00:00:00Z',
    });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toMatchObject({
      error_type: 'request_invalid',
      error_codes: ['expires_at_invalid'],
    });
    expect((await agentDirectory(env).list({ limit: 1, skip: 0 })).total_count).toBe(before);
    const agent = await createAgent({
      name: 'expires later',
      grants: {},
      expires_at: '2999-01-01T00:00:00Z',
    });
    const ended = await adminCall('PATCH', `/admin/agents/${agent.id}`, {
      expires_at: '2020-01-01T00:00:00Z',
    });
    expect(ended.status).toBe(200);
    expect(JSON.parse(ended.text)).toMatchObject({ status: 'expired' });
  });
});

describe('error messages name only plain field names, never a caller-chosen key that could be a secret', () => {
  it('the storefront names an unknown key only when it is a plain field name', async () => {
    const res = await send(
      new Request(`${BASE}/v1/payment-sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.44' },
        body: JSON.stringify({
          '4242424242424242': 1,
          sk_sbox_devsecretkeyfullaccessaaaaq: 2,
          processing_channel_id: 'x',
        }),
      }),
    );
    expect(res.status).toBe(422);
    expect(res.text).not.toContain('4242424242424242');
    expect(res.text).not.toContain('sk_sbox');
    const codes = (JSON.parse(res.text) as { error_codes: string[] }).error_codes;
    expect(codes).toContain('field_not_allowed');
    expect(codes).toContain('processing_channel_id_not_allowed');
  });

  it('the agents admin API does not quote unknown keys or grant areas that could be secrets', async () => {
    const res = await adminCall('POST', '/admin/agents', {
      name: 'x',
      grants: { '4242424242424242': 'read', refunds: 'write' },
      sk_sbox_devsecretkeyfullaccessaaaaq: 1,
    });
    expect(res.status).toBe(422);
    expect(res.text).not.toContain('4242424242424242');
    expect(res.text).not.toContain('sk_sbox');
    const codes = (JSON.parse(res.text) as { error_codes: string[] }).error_codes;
    expect(codes).toEqual(expect.arrayContaining(['grants_field_invalid', 'grants_refunds_invalid']));
  });
});

describe('X-Request-Id: a caller id shaped like a credential or a card number is not echoed, logged or stored', () => {
  it.each([
    ['sk_sbox_devsecretkeyfullaccessaaaaq'],
    ['bollard_admin_dev'],
    ['whsec_dev_bollard_local_signing_key'],
    [`bak_${'a'.repeat(26)}_${'b'.repeat(40)}`],
    ['4242424242424242'],
    ['4242-4242-4242-4242'],
    ['x4242424242424242'],
  ])('%s gets a fresh id', async (id) => {
    const res = await send(new Request(`${BASE}/healthz`, { headers: { 'x-request-id': id } }));
    expect(res.headers.get('cko-request-id')).toMatch(/^req_[a-z2-7]{26}$/);
  });

  it('a plain id is still echoed', async () => {
    for (const id of ['trace-1', '3f2b6c1e-9d4a-4f7e-8a21-0c5b7d9e1f30', 'a.b:c']) {
      const res = await send(new Request(`${BASE}/healthz`, { headers: { 'x-request-id': id } }));
      expect(res.headers.get('cko-request-id')).toBe(id);
    }
  });
});

describe('the console: a file name from Object.prototype is a 404, not a 500', () => {
  it.each([['__proto__'], ['constructor'], ['hasOwnProperty'], ['toString']])(
    '/admin/console/%s',
    async (name) => {
      const res = await send(new Request(`${BASE}/admin/console/${name}`));
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toMatchObject({
        error_type: 'not_found',
        error_codes: ['route_not_found'],
      });
    },
  );
});

describe('small truths (already fixed elsewhere), verified', () => {
  it('a 502 upstream_credential_rejected carries X-Upstream-Request-Id', async () => {
    const agent = await createAgent({ name: 'credential', grants: { payments: 'read' } });
    const res = await send(
      new Request(`${BASE}/agent/v1/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa`, {
        headers: { authorization: `Bearer ${agent.key}` },
      }),
      { CHECKOUT_SECRET_KEY: 'sk_sbox_notthekeyaaaaaaaaaaaaaaaaaq' },
    );
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toMatchObject({
      error_type: 'upstream_error',
      error_codes: ['upstream_credential_rejected'],
    });
    expect(res.headers.get('x-upstream-request-id')).toMatch(/\S/);
    expect(res.text).not.toContain('sk_sbox');
  });

  it('Authorization: bearer … in lower case works on admin routes and on the webhook receiver', async () => {
    const admin = await send(
      new Request(`${BASE}/admin/agents`, { headers: { authorization: `bearer ${ADMIN_TOKEN}` } }),
    );
    expect(admin.status).toBe(200);
    const body =
      '{"id":"evt_lowercasebearer1","type":"unknown_type","created_on":"2026-01-01T00:00:00Z","data":{}}';
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('whsec_dev_bollard_local_signing_key'),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)));
    const signature = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
    const deliver = (authorization: string) =>
      send(
        new Request(`${BASE}/webhooks/checkout`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cko-signature': signature, authorization },
          body,
        }),
        { WEBHOOK_AUTH_HEADER_VALUE: 'Bearer hook-secret-1' } as Partial<Env>,
      );
    expect((await deliver('bearer hook-secret-1')).status).toBe(200);
    expect((await deliver('Bearer hook-secret-2')).status).toBe(401);
  });

  it('GET /webhooks/checkout is 405 with Allow: POST, in the one error shape', async () => {
    const res = await send(new Request(`${BASE}/webhooks/checkout`));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(JSON.parse(res.text)).toMatchObject({
      error_type: 'method_not_allowed',
      request_id: res.headers.get('cko-request-id'),
    });
  });

  it('a signed body that is not JSON is acknowledged and quarantined once per distinct body', async () => {
    const sign = async (bytes: Uint8Array<ArrayBuffer>) => {
      const key = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode('whsec_dev_bollard_local_signing_key'),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes));
      return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
    };
    const deliver = async (bytes: Uint8Array<ArrayBuffer>) =>
      send(
        new Request(`${BASE}/webhooks/checkout`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cko-signature': await sign(bytes) },
          body: bytes,
        }),
      );
    const first = new Uint8Array(new TextEncoder().encode('not json at all'));
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
    const a = await deliver(first);
    const again = await deliver(first);
    const b = await deliver(binary);
    for (const res of [a, again, b]) {
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ received: false, quarantined: true });
    }
    const id = (res: { text: string }) => (JSON.parse(res.text) as { quarantine_id: number }).quarantine_id;
    expect(id(again)).toBe(id(a));
    expect(id(b)).not.toBe(id(a));
    const listed = JSON.parse((await adminCall('GET', '/admin/quarantine')).text) as {
      data: Array<{ id: number; deliveries: number }>;
    };
    expect(listed.data.find((q) => q.id === id(a))?.deliveries).toBe(2);
    expect(listed.data.find((q) => q.id === id(b))?.deliveries).toBe(1);
  });
});
