import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { main } from '../../src/cli/main';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { until } from './until';

/**
 * The simulator under real `wrangler dev` delivering webhooks over real loopback HTTP to a node:http
 * receiver, which checks `Cko-Signature` with node:crypto over the exact bytes it received.
 */
const SIM_PORT = 18784;
const SIGNING_KEY = 'whsec_e2e_key_with_ünïcode_£';

interface Got {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let stack: Stack;
let server: Server;
let receiverUrl: string;
const got: Got[] = [];
/** Per path: how many requests to answer 500 before answering 200. */
const failFirst = new Map<string, number>();

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.simUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}`, 'Content-Type': 'application/json' },
  });

async function workflow(url: string, events: string[]): Promise<string> {
  const dispute = events.filter((e) => e.startsWith('dispute'));
  const gateway = events.filter((e) => !e.startsWith('dispute'));
  const res = await fetch(`${stack.simUrl}/workflows`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'e2e',
      conditions: [
        {
          type: 'event',
          events: { ...(gateway.length ? { gateway } : {}), ...(dispute.length ? { dispute } : {}) },
        },
      ],
      actions: [
        {
          type: 'webhook',
          url,
          headers: { 'X-Receiver-Token': 'e2e-token' },
          signature: { key: SIGNING_KEY },
        },
      ],
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '/';
      got.push({ path, headers: req.headers, body });
      const left = failFirst.get(path) ?? 0;
      if (left > 0) failFirst.set(path, left - 1);
      res.writeHead(left > 0 ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // 5 minutes → 0.1 s: retries arrive within the test's patience.
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: SIM_PORT + 1,
    simOnly: true,
    simVars: { SIM_TIME_SCALE: '3000' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => server?.close(() => r()));
});

describe('simulator webhooks over real HTTP', () => {
  it('bollard trigger → a signed delivery verified with node:crypto over the received bytes', async () => {
    await workflow(`${receiverUrl}/signed`, ['payment_approved', 'payment_captured']);
    const lines: string[] = [];
    const code = await main(['trigger', 'payment_captured', '--sim', stack.simUrl], (s) => lines.push(s));
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^Triggered payment_captured: payment pay_/);
    const deliveries = await until(() => {
      const mine = got.filter((g) => g.path === '/signed');
      return mine.length >= 2 ? mine : undefined;
    });
    for (const d of deliveries) {
      const expected = createHmac('sha256', SIGNING_KEY).update(d.body).digest('hex');
      const header = String(d.headers['cko-signature']);
      expect(timingSafeEqual(Buffer.from(header), Buffer.from(expected))).toBe(true);
      expect(d.headers['x-receiver-token']).toBe('e2e-token');
      expect(d.headers['content-type']).toBe('application/json');
    }
    const types = deliveries.map((d) => (JSON.parse(d.body.toString('utf8')) as { type: string }).type);
    expect(types).toEqual(['payment_approved', 'payment_captured']);
  });

  it('retries a receiver that answers 500 until it acknowledges', async () => {
    failFirst.set('/flaky', 2);
    await workflow(`${receiverUrl}/flaky`, ['card_verified']);
    expect(await main(['trigger', 'card_verified', '--sim', stack.simUrl], () => undefined)).toBe(0);
    const attempts = await until(() => {
      const mine = got.filter((g) => g.path === '/flaky');
      return mine.length >= 3 ? mine : undefined;
    });
    expect(new Set(attempts.map((a) => a.body.toString('hex'))).size).toBe(1);
    const log = await until(async () => {
      const res = await admin('/_sim/webhooks?status=delivered');
      const body = (await res.json()) as {
        data: { event_type: string; attempts: number; history: { status_code?: number }[] }[];
      };
      return body.data.find((d) => d.event_type === 'card_verified');
    });
    expect(log.attempts).toBe(3);
    expect(log.history.map((h) => h.status_code)).toEqual([500, 500, 200]);
  });

  it('records an unreachable receiver as such and keeps retrying', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await workflow(`http://127.0.0.1:${port}/nobody`, ['payment_voided']);
    expect(await main(['trigger', 'payment_voided', '--sim', stack.simUrl], () => undefined)).toBe(0);
    const entry = await until(async () => {
      const res = await admin('/_sim/webhooks');
      const body = (await res.json()) as {
        data: { event_type: string; attempts: number; history: { error?: string }[] }[];
      };
      const d = body.data.find((x) => x.event_type === 'payment_voided' && x.attempts >= 2);
      return d;
    });
    expect(entry.history.slice(0, 2).map((h) => h.error)).toEqual(['unreachable', 'unreachable']);
  });

  it('the CLI refuses an unknown event type, listing the ten', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (s: string) => errors.push(s);
    try {
      expect(await main(['trigger', 'payment_exploded'], () => undefined)).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors.join('\n')).toContain('unknown event type "payment_exploded"');
    expect(errors.join('\n')).toContain('dispute_evidence_required');
  });
});
