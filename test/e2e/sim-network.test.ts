import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { until } from './until';

/**
 * The simulator's faults as a network: a real `wrangler dev` behind the loopback proxy `startStack` puts
 * in front of it (scripts/sim-network.ts). A dropped connection is a fetch that rejects with no status,
 * before or after the work was done; everything else passes through untouched.
 */
let stack: Stack;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const ADMIN = { Authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}`, 'Content-Type': 'application/json' };
const API = { Authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'Content-Type': 'application/json' };
const PAYMENT = JSON.stringify({
  amount: 1500,
  currency: 'EUR',
  source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
});

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${stack.simUrl}${path}`, {
    method,
    headers: ADMIN,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

const setFaults = (faults: unknown) => control('POST', '/_sim/faults', faults);

async function stats(): Promise<{ effects: Record<string, number>; idempotent_replays: number }> {
  return (await (await control('GET', '/_sim/stats')).json()) as {
    effects: Record<string, number>;
    idempotent_replays: number;
  };
}

function pay(key?: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.simUrl}/payments`, {
    method: 'POST',
    headers: key ? { ...API, 'Cko-Idempotency-Key': key } : API,
    body: PAYMENT,
    ...(signal ? { signal } : {}),
  });
}

beforeAll(async () => {
  stack = await startStack({ simPort: await freePort(), bollardPort: await freePort(), simOnly: true });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await control('POST', '/_sim/reset');
});

describe('the simulator behind its loopback network', () => {
  it('passes a normal answer through: status, headers, body, and links to the proxy', async () => {
    const res = await pay();
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cko-request-id')).toMatch(/^sim_/);
    expect(res.headers.get('x-sim-drop-connection')).toBeNull();
    const body = (await res.json()) as { id: string; _links: { self: { href: string } } };
    // The Host header passed through, so the simulator's links point at the proxy, not behind it.
    expect(body._links.self.href).toBe(`${stack.simUrl}/payments/${body.id}`);

    await control('POST', '/_sim/config', { reads_per_second: 1, retry_after_seconds: 1 });
    const reads = await Promise.all([1, 2, 3].map(() => fetch(`${stack.simUrl}/payments`, { headers: API })));
    const limited = reads.find((r) => r.status === 429);
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect(await limited?.json()).toMatchObject({ error_type: 'too_many_requests' });
  });

  it('drop "before": the fetch rejects with no status and nothing happened', async () => {
    await setFaults({ routes: { 'POST /payments': { drop: 'before' } } });
    await expect(pay('net-before')).rejects.toThrow(TypeError);
    expect((await stats()).effects.requestPayment).toBe(0);
    await setFaults({});
    expect((await pay('net-before')).status).toBe(201);
    expect((await stats()).effects.requestPayment).toBe(1);
  });

  it('drop "after": the fetch rejects with no status, the payment exists, a keyed retry replays it', async () => {
    await setFaults({ routes: { 'POST /payments': { drop: 'after' } } });
    await expect(pay('net-after')).rejects.toThrow(TypeError);
    expect((await stats()).effects.requestPayment).toBe(1);
    const retry = await pay('net-after');
    expect(retry.status).toBe(201);
    const list = (await (await fetch(`${stack.simUrl}/payments`, { headers: API })).json()) as {
      data: { id: string }[];
    };
    expect(list.data.map((p) => p.id)).toEqual([((await retry.json()) as { id: string }).id]);
    const s = await stats();
    expect(s.effects.requestPayment).toBe(1);
    expect(s.idempotent_replays).toBe(1);
  });

  it('without the proxy, plain wrangler dev shows the status line and then cuts the body', async () => {
    await setFaults({ routes: { 'POST /payments': { drop: 'after' } } });
    const res = await fetch(`${stack.simDirectUrl}/payments`, {
      method: 'POST',
      headers: API,
      body: PAYMENT,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-sim-drop-connection')).toBe('after');
    await expect(res.text()).rejects.toThrow();
  });

  it('a 502 arrives as the edge HTML page', async () => {
    await setFaults({ routes: { 'POST /payments': { error_rate: 1, status: 502 } } });
    const res = await pay();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('502 Bad Gateway');
    expect((await stats()).effects.requestPayment).toBe(0);
  });

  it('a stall: the waiting client gets its answer; one that gave up still finds the effect', async () => {
    // Longer than the proxy's idle-socket timeout: an active upstream request is not cut by it.
    await setFaults({ routes: { 'POST /payments': { latency_ms: 2500 } } });
    expect((await pay('net-slow')).status).toBe(201);

    await setFaults({ routes: { 'POST /payments': { latency_ms: 1500 } } });
    await expect(pay('net-stall', AbortSignal.timeout(300))).rejects.toThrow();
    const repeat = await pay('net-stall');
    expect(repeat.status).toBe(429);
    expect(await repeat.json()).toMatchObject({ error_codes: ['idempotency_key_in_use'] });
    await until(async () => ((await stats()).effects.requestPayment === 2 ? true : undefined));
    expect((await pay('net-stall')).status).toBe(201);
    expect((await stats()).effects.requestPayment).toBe(2);
  });
});
