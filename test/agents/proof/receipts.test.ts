import { env } from 'cloudflare:workers';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/agents/model/audit-entry';
import { PUBLIC_MEMBERS } from '../../../src/agents/proof/jwk';
import { admin, auditFor, call, cardPayment, createAgent, gateway, mcpClient } from '../helpers';
import { freshPrivateJwk, jwks, sha256, verifiedReceipt } from './helpers';

async function chainEntries(agentId: string): Promise<AuditEntry[]> {
  await auditFor(agentId);
  const text = await (await admin(`/admin/audit/export?agent=${agentId}`)).text();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEntry);
}

describe('receipts on agent calls', { timeout: 60_000 }, () => {
  it('signs an allowed REST write: the claims name the call, both bodies and its start entry', async () => {
    const agent = await createAgent({ payments: 'write' });
    const body = JSON.stringify(cardPayment(700));
    const res = await call('/agent/v1/payments', {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    expect(res.status).toBe(201);
    const receipt = res.headers.get('bollard-receipt');
    expect(receipt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = await verifiedReceipt(receipt ?? '');
    const [start] = await chainEntries(agent.id);
    expect(claims).toMatchObject({
      iss: env.BOLLARD_PUBLIC_URL,
      sub: agent.id,
      request_id: res.headers.get('cko-request-id'),
      channel: 'rest',
      method: 'requestPayment',
      http_method: 'POST',
      path: '/payments',
      path_template: '/payments',
      idempotency_key: res.headers.get('cko-idempotency-key'),
      request_sha256: sha256(body),
      response_sha256: sha256(text),
      status: 201,
      upstream_status: 201,
      upstream_request_id: res.headers.get('x-upstream-request-id'),
      decision: 'allowed',
      reason: 'allowed',
      audit: { chain: agent.id, seq: 1, hash: start?.hash, kind: 'start' },
    });
    expect(start).toMatchObject({ kind: 'start', request_id: claims.request_id });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(60);
  });

  it('signs refusals too (grant, route), naming the refusal entry; a refused key gets none', async () => {
    const agent = await createAgent({ payments: 'read' });
    const refused = await gateway(agent.key, 'POST', '/payments/pay_x/refunds', { amount: 1 });
    const refusedText = await refused.text();
    expect(refused.status).toBe(403);
    const claims = await verifiedReceipt(refused.headers.get('bollard-receipt') ?? '');
    const notFound = await gateway(agent.key, 'GET', '/nowhere');
    expect(notFound.status).toBe(404);
    const routeClaims = await verifiedReceipt(notFound.headers.get('bollard-receipt') ?? '');
    const [grantEntry, routeEntry] = await chainEntries(agent.id);
    expect(claims).toMatchObject({
      method: 'refundPayment',
      path: '/payments/pay_x/refunds',
      path_template: '/payments/{id}/refunds',
      status: 403,
      upstream_status: null,
      decision: 'denied',
      reason: 'grant_required',
      response_sha256: sha256(refusedText),
      request_sha256: sha256(JSON.stringify({ amount: 1 })),
      audit: { seq: 1, hash: grantEntry?.hash, kind: 'call' },
    });
    expect(routeClaims).toMatchObject({
      method: null,
      path: '/nowhere',
      path_template: null,
      reason: 'route_not_found',
      audit: { seq: 2, hash: routeEntry?.hash, kind: 'call' },
    });

    // No agent's chain records a refused key, so nobody is named and nothing is signed.
    const badKey = await gateway(`${agent.key.slice(0, -4)}AAAA`, 'GET', '/payments?limit=1');
    expect(badKey.status).toBe(401);
    expect(badKey.headers.get('bollard-receipt')).toBeNull();
    expect((await gateway(null, 'GET', '/payments?limit=1')).headers.get('bollard-receipt')).toBeNull();
  });

  it('puts an MCP tool call’s receipt in the result’s _meta, over the text content as sent', async () => {
    const agent = await createAgent({ payments: 'write' });
    const client = await mcpClient(agent.key);
    const body = cardPayment(450);
    const result = await client.callTool({
      name: 'requestPayment',
      arguments: { body, idempotency_key: 'mcp-receipt-1' },
    });
    const [content] = result.content as Array<{ type: string; text: string }>;
    const receipt = (result._meta as Record<string, string> | undefined)?.['bollard/receipt'];
    const claims = await verifiedReceipt(receipt ?? '');
    const [start] = await chainEntries(agent.id);
    expect(claims).toMatchObject({
      sub: agent.id,
      channel: 'mcp',
      method: 'requestPayment',
      path: '/payments',
      idempotency_key: 'mcp-receipt-1',
      request_sha256: sha256(JSON.stringify(body)),
      response_sha256: sha256(content?.text ?? ''),
      status: 201,
      decision: 'allowed',
      audit: { seq: 1, hash: start?.hash, kind: 'start' },
    });
    // A refused tool call is signed as well.
    const denied = await client.callTool({ name: 'listDisputes', arguments: {} });
    expect(denied.isError).toBe(true);
    const deniedClaims = await verifiedReceipt(
      (denied._meta as Record<string, string> | undefined)?.['bollard/receipt'] ?? '',
    );
    expect(deniedClaims).toMatchObject({ reason: 'grant_required', decision: 'denied', status: 403 });
    await client.close();
  });

  it('a changed byte in a receipt fails verification', async () => {
    const agent = await createAgent({ payments: 'read' });
    const res = await gateway(agent.key, 'GET', '/payments?limit=1');
    const receipt = res.headers.get('bollard-receipt') ?? '';
    await verifiedReceipt(receipt);
    const [h, p, s] = receipt.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, status: 201 })).toString('base64url');
    await expect(verifiedReceipt(`${h}.${forged}.${s}`)).rejects.toThrow();
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await expect(verifiedReceipt(`${h}.${p}.${flipped}`)).rejects.toThrow();
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('serves public keys only: the configured key, and previous keys until their verify_until', async () => {
    const current = await freshPrivateJwk('2026-12-rcpt');
    const previous = await freshPrivateJwk();
    const expired = await freshPrivateJwk();
    const pub = ({ d: _d, ...rest }: Record<string, string>) => rest;
    const overrides = {
      RECEIPT_SIGNING_KEY: JSON.stringify(current),
      RECEIPT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([
        { ...pub(previous), kid: 'old-1', verify_until: new Date(Date.now() + 86_400_000).toISOString() },
        { ...pub(expired), kid: 'old-0', verify_until: new Date(Date.now() - 1_000).toISOString() },
      ]),
    };
    const res = await call('/.well-known/jwks.json', {}, overrides);
    expect(res.headers.get('cache-control')).toContain('max-age');
    const text = await res.text();
    // No private member, anywhere in the document.
    expect(text).not.toContain('"d"');
    expect(text).not.toContain(current.d);
    const doc = JSON.parse(text) as { keys: Array<Record<string, unknown>> };
    expect(doc.keys.map((k) => k.kid)).toEqual(['2026-12-rcpt', 'old-1']);
    for (const key of doc.keys)
      for (const member of Object.keys(key)) expect(PUBLIC_MEMBERS as readonly string[]).toContain(member);
    expect(doc.keys[0]).toEqual({ ...pub(current), alg: 'EdDSA', use: 'sig' });

    // Calls are signed with the configured key.
    const agent = await createAgent({ payments: 'read' });
    const answer = await gateway(agent.key, 'GET', '/payments?limit=1', undefined, {}, overrides);
    const claims = await verifiedReceipt(answer.headers.get('bollard-receipt') ?? '', JSON.parse(text));
    expect(claims.kid).toBe('2026-12-rcpt');

    // A previous "public" key holding a private member is not published at all.
    const leaked = await call(
      '/.well-known/jwks.json',
      {},
      {
        ...overrides,
        RECEIPT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([
          { ...previous, kid: 'old-1', verify_until: '2999-01-01' },
        ]),
      },
    );
    const leakedText = await leaked.text();
    expect(leakedText).not.toContain('"d"');
    expect((JSON.parse(leakedText) as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('signs with a P-256 key (ES256) when that is the configured key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'p256' };
    const overrides = {
      RECEIPT_SIGNING_KEY: JSON.stringify(jwk),
      BOLLARD_PUBLIC_URL: env.BOLLARD_PUBLIC_URL,
    };
    const keys = await jwks(overrides);
    expect(keys.keys).toEqual([
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: 'p256' }),
    ]);
    expect(JSON.stringify(keys)).not.toContain('"d"');
    const agent = await createAgent({ payments: 'read' });
    const res = await gateway(agent.key, 'GET', '/payments?limit=1', undefined, {}, overrides);
    const receipt = res.headers.get('bollard-receipt') ?? '';
    expect(decodeProtectedHeader(receipt)).toMatchObject({ alg: 'ES256', kid: 'p256' });
    expect((await verifiedReceipt(receipt, keys)).sub).toBe(agent.id);
  });

  it('development (loopback public URL) generates one key and keeps it in KV; elsewhere nothing signs without the secret', async () => {
    const first = await jwks();
    expect(first.keys).toHaveLength(1);
    expect(JSON.stringify(first)).not.toContain('"d"');
    const stored = JSON.parse((await env.OAUTH_TOKENS.get('receipts:dev-signing-key:v1')) ?? '{}') as {
      kid?: string;
      d?: string;
    };
    expect(stored.kid).toBe(first.keys[0]?.kid);
    expect(stored.d).toEqual(expect.any(String));
    expect((await jwks()).keys[0]?.kid).toBe(first.keys[0]?.kid);

    const production = { BOLLARD_PUBLIC_URL: 'https://bollard.example.com' };
    expect((await jwks(production)).keys).toEqual([]);
    const agent = await createAgent({ payments: 'read' });
    const res = await gateway(agent.key, 'GET', '/payments?limit=1', undefined, {}, production);
    expect(res.status).toBe(200);
    expect(res.headers.get('bollard-receipt')).toBeNull();
  });
});
