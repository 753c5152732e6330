import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asBackground,
  DO_CALLS_BACKGROUND_HEADER,
  DO_CALLS_DETAIL_HEADER,
  DO_CALLS_HEADER,
  meterEnv,
  meterRequest,
  withDoMeter,
} from '../../src/http/do-meter';
import { rateGateFromEnv } from '../../src/ratelimit/from-env';
import { accountGovernor, GOVERNOR_NAME } from '../../src/ratelimit/stubs';
import worker from '../../workers/bollard/index';

afterEach(() => reset());

const metered = { ...env, DO_METER: 'on' } as Env;
const KEY = 'whsec_dev_bollard_local_signing_key';

async function sign(body: string): Promise<string> {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey('raw', enc.encode(KEY), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(body)));
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function approved(): string {
  const suffix = crypto
    .randomUUID()
    .replaceAll('-', '')
    .slice(0, 26)
    .replace(/[0189]/g, 'a');
  const id = `evt_${suffix}`;
  const paymentId = `pay_${suffix}`;
  return JSON.stringify({
    id,
    type: 'payment_approved',
    created_on: '2026-11-24T10:00:00.1234567Z',
    data: {
      id: paymentId,
      action_id: `act_${suffix}`,
      amount: 1000,
      currency: 'GBP',
      response_code: '10000',
    },
    _links: {
      self: { href: `https://api.sandbox.checkout.com/workflows/events/${id}` },
      subject: { href: `https://api.sandbox.checkout.com/workflows/events/subject/${paymentId}` },
    },
  });
}

async function deliver(workerEnv: Env): Promise<Response> {
  const body = approved();
  const request = new Request('http://bollard.test/webhooks/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cko-signature': await sign(body) },
    body,
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A promise settled from outside, to hold one request open while another runs. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

describe('DO meter through the Bollard entry', () => {
  it('counts the one inbox round trip of a webhook receipt', async () => {
    const res = await deliver(metered);
    expect(res.status).toBe(200);
    expect(res.headers.get(DO_CALLS_HEADER)).toBe('1');
    expect(res.headers.get(DO_CALLS_DETAIL_HEADER)).toBe('WEBHOOK_INBOX=1');
    expect(res.headers.get(DO_CALLS_BACKGROUND_HEADER)).toBe('0');
  });

  it('adds no header when metering is off', async () => {
    const res = await deliver(env);
    expect(res.status).toBe(200);
    expect(res.headers.has(DO_CALLS_HEADER)).toBe(false);
    expect(res.headers.has(DO_CALLS_DETAIL_HEADER)).toBe(false);
  });

  it('counts an answer with no Durable Object round trip as 0', async () => {
    const res = await worker.fetch(
      new Request('http://bollard.test/healthz'),
      metered,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get(DO_CALLS_HEADER)).toBe('0');
    expect(res.headers.get(DO_CALLS_DETAIL_HEADER)).toBe('');
  });
});

describe('withDoMeter', () => {
  it('passes the request and the very same env through when metering is off', async () => {
    const seen: unknown[] = [];
    const handler = withDoMeter<Env>((request, e) => {
      seen.push(request, e);
      return new Response('ok');
    });
    const request = new Request('http://bollard.test/x');
    const res = await handler(request, env, createExecutionContext());
    expect(seen[0]).toBe(request);
    expect(seen[1]).toBe(env);
    expect(res.headers.has(DO_CALLS_HEADER)).toBe(false);
  });

  it('copies a response whose headers are immutable', async () => {
    const handler = withDoMeter<Env>(async () => {
      const upstream = await fetch('data:text/plain,ok');
      return upstream;
    });
    const res = await handler(new Request('http://bollard.test/x'), metered, createExecutionContext());
    expect(await res.text()).toBe('ok');
    expect(res.headers.get(DO_CALLS_HEADER)).toBe('0');
  });

  it('reports a round trip still in flight at the answer as background, not as waited on', async () => {
    const handler = withDoMeter<Env>(async (_request, e, ctx) => {
      await accountGovernor(e).snapshot();
      ctx.waitUntil(accountGovernor(e).snapshot());
      return new Response('ok');
    });
    const ctx = createExecutionContext();
    const res = await handler(new Request('http://bollard.test/x'), metered, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.headers.get(DO_CALLS_HEADER)).toBe('1');
    expect(res.headers.get(DO_CALLS_BACKGROUND_HEADER)).toBe('1');
  });
});

describe('asBackground', () => {
  it('counts bookkeeping as background even when it settles before the answer is read', async () => {
    const handler = withDoMeter<Env>(async (_request, e) => {
      await accountGovernor(e).snapshot();
      // Awaited here, so it has surely settled by the answer: still not a round trip the answer waited on.
      await asBackground(() => accountGovernor(e).snapshot());
      return new Response('ok');
    });
    const ctx = createExecutionContext();
    const res = await handler(new Request('http://bollard.test/x'), metered, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.headers.get(DO_CALLS_HEADER)).toBe('1');
    expect(res.headers.get(DO_CALLS_DETAIL_HEADER)).toBe('RATE_GOVERNOR=1');
    expect(res.headers.get(DO_CALLS_BACKGROUND_HEADER)).toBe('1');
  });
});

describe('meterEnv and meterRequest', () => {
  it('returns one metered env per env, leaving other bindings as they are', () => {
    const a = meterEnv(metered);
    expect(meterEnv(metered)).toBe(a);
    expect(a.CHECKOUT_API_BASE).toBe(env.CHECKOUT_API_BASE);
    expect(a.OAUTH_TOKENS).toBe(env.OAUTH_TOKENS);
    expect(a.RATE_GOVERNOR).not.toBe(env.RATE_GOVERNOR);
    // Ids and non-call members pass through.
    expect(a.RATE_GOVERNOR.idFromName('x').equals(env.RATE_GOVERNOR.idFromName('x'))).toBe(true);
  });

  it('counts RPC calls per binding, in the order first used', async () => {
    const e = meterEnv(metered);
    const [, reading] = await meterRequest(async () => {
      await e.TOKEN_REFRESHER.getByName('probe').status();
      await e.RATE_GOVERNOR.get(e.RATE_GOVERNOR.idFromName(GOVERNOR_NAME)).snapshot();
      await e.TOKEN_REFRESHER.getByName('probe').status();
    });
    expect(reading.calls).toBe(3);
    expect(reading.byBinding).toEqual([
      ['TOKEN_REFRESHER', 2],
      ['RATE_GOVERNOR', 1],
    ]);
  });

  it('counts fetch on a stub like an RPC call', async () => {
    // Bollard's objects have no fetch handler; a stand-in namespace has the same shape.
    const stub = { fetch: async () => new Response('ok'), id: 'x' };
    const fake = { PROBE: { idFromName: () => 'x', get: () => stub, getByName: () => stub }, NAME: 'v' };
    const e = meterEnv(fake);
    const [, reading] = await meterRequest(async () => {
      const probe = e.PROBE.getByName();
      await (await probe.fetch()).text();
      expect(probe.id).toBe('x');
      expect(e.NAME).toBe('v');
    });
    expect(reading).toEqual({ calls: 1, byBinding: [['PROBE', 1]], background: 0 });
  });

  it('charges the isolate-wide rate gate lease to the request that leases', async () => {
    // The gate keeps the env of the request that built it (A); B comes with its own env object.
    const [, readingA] = await meterRequest(() => rateGateFromEnv(meterEnv(metered)).acquire('read'));
    const laterEnv = meterEnv({ ...env, DO_METER: 'on' } as Env);
    const [, readingB] = await meterRequest(async () => {
      // More calls than the cold lease covers (3 permits): B's calls grow the lease (round trips of B's).
      for (let i = 0; i < 9; i++) await rateGateFromEnv(laterEnv).acquire('read');
    });
    expect(readingA.byBinding).toEqual([['RATE_GOVERNOR', 1]]);
    expect(readingB.calls).toBeGreaterThanOrEqual(1);
    expect(readingB.byBinding.map(([b]) => b)).toEqual(['RATE_GOVERNOR']);
  });

  it('charges a trip made through an isolate-wide object to the request awaiting it', async () => {
    // Built during request A with A's env, as rateGateFromEnv builds its gate; used later by B.
    let cached: (() => DurableObjectStub<import('../../workers/bollard/index').RateGovernor>) | null = null;
    const held = gate();
    const built = gate();
    const requestA = meterRequest(async () => {
      const e = meterEnv(metered);
      cached = () => accountGovernor(e);
      await cached().snapshot();
      built.open();
      // A is still running while B uses A's object.
      await held.wait;
    });
    await built.wait;
    const requestB = meterRequest(async () => {
      if (cached === null) throw new Error('not built');
      await cached().snapshot();
      await cached().snapshot();
    });
    const [, readingB] = await requestB;
    held.open();
    const [, readingA] = await requestA;
    expect(readingA.calls).toBe(1);
    expect(readingB.calls).toBe(2);
    expect(readingB.byBinding).toEqual([['RATE_GOVERNOR', 2]]);
  });

  it('counts nothing outside a metered request', async () => {
    const e = meterEnv(metered);
    await accountGovernor(e).snapshot();
    const [, reading] = await meterRequest(() => 'nothing');
    expect(reading).toEqual({ calls: 0, byBinding: [], background: 0 });
  });
});
