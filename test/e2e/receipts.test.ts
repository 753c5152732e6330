import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseJwks,
  type VerificationKey,
  verifyArchive,
  verifyEntry,
  verifyReceipt,
} from '../../docs/verify-receipt.mjs';
import { type Stack, startStack } from '../../scripts/stack';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { until } from './until';

/**
 * `node docs/verify-receipt.mjs` (Node, no dependencies) against real receipts and a real archive: a real
 * `wrangler dev` stack (Bollard + the simulator), calls over REST and MCP, the JWKS Bollard serves, and the
 * archive written to Miniflare's R2 by `POST /admin/audit/archive` and downloaded through the admin API.
 * Every artifact verifies; a changed byte anywhere in any of them (every byte of the receipts, bodies, JWKS,
 * range and head; a sample through the CLI on the archive directory) does not.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'docs/verify-receipt.mjs');
const SIM_PORT = 18832;
const BOLLARD_PORT = 18833;
const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` };

let stack: Stack;
let dir: string;

interface Saved {
  receipt: string;
  body: string;
  request: string;
  audit: { chain: string; seq: number };
}

const calls: Record<'rest' | 'refused' | 'mcp', Saved> = {} as Record<'rest' | 'refused' | 'mcp', Saved>;
let jwksText = '';
let keys: VerificationKey[] = [];

function cli(...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function flip(data: string | Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.bollardUrl}${path}`, init);
}

function claimsOf(receipt: string): { audit: { chain: string; seq: number } } {
  return JSON.parse(Buffer.from(receipt.split('.')[1] as string, 'base64url').toString()) as {
    audit: { chain: string; seq: number };
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bollard-receipts-'));
  stack = await startStack({ simPort: SIM_PORT, bollardPort: BOLLARD_PORT });
  const created = await api('/admin/agents', {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    // Scope `any`: the MCP call below lists payments, which an agent under `own` is refused (docs/agents.md).
    body: JSON.stringify({ name: 'receipts e2e', grants: { payments: 'write' }, scope: { payments: 'any' } }),
  });
  const agent = (await created.json()) as { id: string; key: string };
  const bearer = { authorization: `Bearer ${agent.key}` };

  const request = JSON.stringify({
    amount: 1250,
    currency: 'EUR',
    reference: 'receipts-e2e',
    source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
  });
  const paid = await api('/agent/v1/payments', {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: request,
  });
  const paidBody = await paid.text();
  expect(paid.status).toBe(201);
  calls.rest = {
    receipt: paid.headers.get('bollard-receipt') ?? '',
    body: paidBody,
    request,
    audit: { chain: '', seq: 0 },
  };

  const refused = await api('/agent/v1/disputes', { headers: bearer });
  expect(refused.status).toBe(403);
  calls.refused = {
    receipt: refused.headers.get('bollard-receipt') ?? '',
    body: await refused.text(),
    request: '',
    audit: { chain: '', seq: 0 },
  };

  const mcp = await api('/agent/mcp', {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'listPayments', arguments: { query: { limit: 1 } } },
    }),
  });
  const rpc = (await mcp.json()) as {
    result: { content: Array<{ text: string }>; _meta: Record<string, string> };
  };
  calls.mcp = {
    receipt: rpc.result._meta['bollard/receipt'] ?? '',
    body: rpc.result.content[0]?.text ?? '',
    request: '',
    audit: { chain: '', seq: 0 },
  };
  for (const c of Object.values(calls)) c.audit = claimsOf(c.receipt).audit;

  jwksText = await (await api('/.well-known/jwks.json')).text();
  keys = parseJwks(JSON.parse(jwksText));
  writeFileSync(join(dir, 'jwks.json'), jwksText);
  for (const [name, c] of Object.entries(calls)) {
    writeFileSync(join(dir, `${name}.jws`), `${c.receipt}\n`);
    writeFileSync(join(dir, `${name}.body`), c.body);
    writeFileSync(join(dir, `${name}.request`), c.request);
  }

  // The outcome entries are appended after the answers, and the archive plans from the global index, which
  // follows the chain about a second behind: archive once the global view (the index, no `agent=`) holds
  // the three calls with their outcomes, so the one range written is the whole chain (bounded).
  const chain = calls.rest.audit.chain;
  await until(async () => {
    const page = (await (await api('/admin/audit?limit=100', { headers: ADMIN })).json()) as {
      data: Array<{ chain: string; outcome: string }>;
    };
    const ours = page.data.filter((r) => r.chain === chain);
    return ours.length === 3 && ours.every((r) => r.outcome === 'recorded') ? true : undefined;
  }, 15_000);
  // Download the whole archive, as an operator hands it to an auditor, once a run has written the chain.
  const list = await until(
    async () => {
      const run = await api('/admin/audit/archive', { method: 'POST', headers: ADMIN });
      expect(run.status).toBe(200);
      const listed = (await (await api('/admin/audit/archive/objects', { headers: ADMIN })).json()) as {
        objects: Array<{ key: string }>;
      };
      return listed.objects.some((o) => o.key.startsWith(`chains/${chain}/`)) ? listed : undefined;
    },
    10_000,
    200,
  );
  for (const { key } of list.objects) {
    const res = await api(`/admin/audit/archive/object?key=${encodeURIComponent(key)}`, { headers: ADMIN });
    const file = join(dir, 'archive', key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  }
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function rangeOf(chain: string): { range: string; head: string } {
  const chainDir = join(dir, 'archive', 'chains', chain);
  const [rangeFile] = readdirSync(chainDir);
  const last = /-(\d+)\.ndjson$/.exec(rangeFile ?? '')?.[1] ?? '';
  return {
    range: join(chainDir, rangeFile ?? ''),
    head: join(dir, 'archive', 'heads', chain, `${last}.jws`),
  };
}

describe('docs/verify-receipt.mjs on real receipts and a real archive', { timeout: 180_000 }, () => {
  it('(1) verifies each receipt against the JWKS and the body as received, and fails on any changed byte', () => {
    for (const name of ['rest', 'refused', 'mcp'] as const) {
      const ok = cli(
        'receipt',
        `${name}.jws`,
        '--jwks',
        'jwks.json',
        '--body',
        `${name}.body`,
        '--request',
        `${name}.request`,
      );
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toContain('response body and request body match');
    }
    expect(cli('receipt', 'rest.jws', '--jwks', 'jwks.json', '--body', 'refused.body').code).toBe(1);
    expect(cli('receipt', 'rest.jws', '--jwks', 'jwks.json', '--body', 'rest.body').out).toContain(
      'requestPayment POST /payments → 201',
    );

    const c = calls.rest;
    for (let i = 0; i < c.receipt.length; i++)
      expect(
        () => verifyReceipt({ receipt: flip(c.receipt, i).toString(), keys, body: c.body }),
        `receipt byte ${i}`,
      ).toThrow();
    for (let i = 0; i < c.body.length; i++)
      expect(
        () => verifyReceipt({ receipt: c.receipt, keys, body: flip(c.body, i) }),
        `body byte ${i}`,
      ).toThrow();
    for (let i = 0; i < c.request.length; i++)
      expect(
        () => verifyReceipt({ receipt: c.receipt, keys, request: flip(c.request, i) }),
        `request byte ${i}`,
      ).toThrow();
    for (let i = 0; i < jwksText.length; i++)
      expect(() => {
        const tampered = parseJwks(JSON.parse(flip(jwksText, i).toString()));
        verifyReceipt({ receipt: c.receipt, keys: tampered, body: c.body });
      }, `jwks byte ${i}`).toThrow();
    const mcp = calls.mcp;
    for (let i = 0; i < mcp.body.length; i++)
      expect(
        () => verifyReceipt({ receipt: mcp.receipt, keys, body: flip(mcp.body, i) }),
        `mcp result byte ${i}`,
      ).toThrow();
  });

  it('(1) with a P-256 key (ES256) too', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const claims = JSON.parse(
      Buffer.from(calls.rest.receipt.split('.')[1] as string, 'base64url').toString(),
    );
    const receipt = await new CompactSign(
      new TextEncoder().encode(JSON.stringify({ ...claims, kid: 'p256' })),
    )
      .setProtectedHeader({ alg: 'ES256', kid: 'p256', typ: 'bollard-receipt+jwt' })
      .sign(privateKey);
    const p256 = parseJwks({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'p256', alg: 'ES256', use: 'sig' }],
    });
    expect(verifyReceipt({ receipt, keys: p256, body: calls.rest.body }).kid).toBe('p256');
    for (let i = 0; i < receipt.length; i += 3)
      expect(
        () => verifyReceipt({ receipt: flip(receipt, i).toString(), keys: p256 }),
        `byte ${i}`,
      ).toThrow();
    // An Ed25519 receipt does not verify with the P-256 key, whatever its kid says.
    expect(() => verifyReceipt({ receipt: calls.rest.receipt, keys: p256 })).toThrow();
  });

  it('(2) finds the entry each receipt names in its archived range, and fails on any changed byte of range or head', () => {
    const { range, head } = rangeOf(calls.rest.audit.chain);
    for (const name of ['rest', 'refused', 'mcp'] as const) {
      const ok = cli(
        'entry',
        `${name}.jws`,
        '--jwks',
        'jwks.json',
        '--range',
        range,
        '--head',
        head,
        '--body',
        `${name}.body`,
      );
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toContain('holds that entry with that hash');
    }
    expect(cli('entry', 'rest.jws', '--jwks', 'jwks.json', '--range', range).out).toContain(
      'outcome recorded at seq',
    );

    const rangeBytes = readFileSync(range);
    const headBytes = readFileSync(head);
    const c = calls.rest;
    verifyEntry({ receipt: c.receipt, keys, range: rangeBytes, head: headBytes });
    for (let i = 0; i < rangeBytes.length; i++) {
      // Without the head: the entries themselves (hashes, links, exact bytes) catch it.
      expect(
        () => verifyEntry({ receipt: c.receipt, keys, range: flip(rangeBytes, i) }),
        `range byte ${i}`,
      ).toThrow();
    }
    for (let i = 0; i < headBytes.length; i++)
      expect(
        () => verifyEntry({ receipt: c.receipt, keys, range: rangeBytes, head: flip(headBytes, i) }),
        `head byte ${i}`,
      ).toThrow();
  });

  it('(3) verifies the whole archive head to head, and fails on a changed byte in any object', () => {
    const ok = cli('archive', 'archive', '--jwks', 'jwks.json');
    expect(ok.code, ok.out).toBe(0);
    const result = verifyArchive(join(dir, 'archive'), keys);
    const chain = result.chains.find((r) => r.chain === calls.rest.audit.chain);
    expect(chain).toMatchObject({ heads: 1, entries: 5, from: 'genesis' });
    expect(result.unreferenced).toEqual([]);
    // Without a JWKS, with the keys the archive holds.
    expect(cli('archive', 'archive').code).toBe(0);

    const files = ['chains', 'heads', 'keys'].map((p) => {
      const sub = join(dir, 'archive', p);
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
        );
      return walk(sub);
    });
    for (const file of files.flat()) {
      const original = readFileSync(file);
      for (const at of [
        0,
        Math.floor(original.length / 3),
        Math.floor(original.length / 2),
        original.length - 2,
        original.length - 1,
      ]) {
        writeFileSync(file, flip(original, at));
        const r = cli('archive', 'archive');
        expect(r.code, `${file} byte ${at}: ${r.out}`).toBe(1);
        expect(r.out).toMatch(/^FAIL /m);
      }
      writeFileSync(file, original);
    }
    expect(cli('archive', 'archive').code).toBe(0);
  });
});
