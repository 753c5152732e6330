import type { Access } from '../../src/catalog';
import { createCheckoutClient } from '../../src/checkout/client';
import type { RateGate } from '../../src/checkout/contract';
import { BollardError, renderError } from '../../src/http/errors';
import { upstreamFetch } from '../../src/http/upstream-fetch';
import { LeasedRateGate } from '../../src/ratelimit/rate-gate';
import type { SettingsOverrides } from '../../src/ratelimit/settings';
import { accountGovernor } from '../../src/ratelimit/stubs';

export { RateGovernor } from '../../src/ratelimit/governor-do';

// One gate per isolate, as in Bollard (src/ratelimit/from-env.ts), with a counter of the time callers spent in it.
let gate: LeasedRateGate | null = null;

function gateFor(env: Env): LeasedRateGate {
  gate ??= new LeasedRateGate({ governor: () => accountGovernor(env) });
  return gate;
}

const UNKNOWN_PAYMENT = 'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa';

/**
 * `GET /call?access=read|write&gate=on|off`: one upstream call through the real client (one attempt, so
 * every upstream 429 shows), answering `{ status, waited_ms }`, or Bollard's 429 when the governor sheds.
 * `POST /configure` (JSON overrides), `GET /snapshot`, `POST /reset`: the governor's RPCs; `/sim/*`: the
 * simulator. Run by bench/governor.bench.ts in Miniflare beside the simulator (service binding `CHECKOUT_SIM`).
 */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const governor = accountGovernor(env);
    if (url.pathname === '/healthz') return Response.json({ status: 'ok' });
    if (url.pathname === '/snapshot')
      return Response.json({ governor: await governor.snapshot(), gate: gateFor(env).stats() });
    if (url.pathname === '/configure' && request.method === 'POST') {
      return Response.json(await governor.configure((await request.json()) as SettingsOverrides));
    }
    if (url.pathname === '/reset' && request.method === 'POST') {
      await governor.reset();
      gate = null;
      return Response.json({ reset: true });
    }
    // The simulator's control plane (`/sim/_sim/stats`), through the same service binding.
    if (url.pathname.startsWith('/sim/')) {
      return upstreamFetch(env)(`http://checkout-sim.bench${url.pathname.slice(4)}`, request);
    }
    if (url.pathname === '/burst') return burst(env, url);
    if (url.pathname !== '/call') return new Response(null, { status: 404 });

    const access: Access = url.searchParams.get('access') === 'write' ? 'write' : 'read';
    const governed = url.searchParams.get('gate') !== 'off';
    const outcome = await oneCall(env, access, governed);
    if (outcome.shed) return outcome.shed;
    return Response.json({ status: outcome.status, waited_ms: outcome.waited, error_type: outcome.error });
  },
} satisfies ExportedHandler<Env>;

interface Outcome {
  /** Upstream status, or null when nothing was sent. */
  status: number | null;
  waited: number;
  shed?: Response;
  error?: string;
}

/** One upstream call through the client and (when governed) the isolate's gate, timing the gate. */
async function oneCall(env: Env, access: Access, governed: boolean): Promise<Outcome> {
  let waited = 0;
  const inner = gateFor(env);
  const timed: RateGate = {
    async acquire(a, signal) {
      const t0 = performance.now();
      try {
        return await inner.acquire(a, signal);
      } finally {
        waited += performance.now() - t0;
      }
    },
    reportThrottled: (a, s) => inner.reportThrottled(a, s),
  };
  const client = createCheckoutClient({
    baseUrl: env.CHECKOUT_API_BASE,
    credential: { kind: 'secret_key', secretKey: env.CHECKOUT_SECRET_KEY },
    // The simulator through its service binding (CHECKOUT_SIM), as in the test pool.
    fetch: upstreamFetch(env),
    ...(governed ? { gate: timed } : {}),
    retry: { maxAttempts: 1 },
  });
  try {
    const res =
      access === 'read'
        ? await client.send('getPayment', { params: { id: UNKNOWN_PAYMENT } })
        : // An empty payment request: refused with 422 after the simulator counts it as a write.
          await client.send('requestPayment', { body: {}, idempotencyKey: crypto.randomUUID() });
    return { status: res.status, waited };
  } catch (err) {
    if (err instanceof BollardError && err.type === 'too_many_requests') {
      const shed = renderError(err, 'bench');
      shed.headers.set('x-waited-ms', String(waited));
      return { status: null, waited, shed };
    }
    return { status: null, waited, error: err instanceof BollardError ? err.type : String(err) };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `GET /burst?access=write&rps=300&ms=10000&gate=on`: an open-loop load generated inside the Worker (no
 * HTTP client in the way on a shared 2-core machine): `rps` calls per second for `ms`, each through the
 * gate and the client to the simulator. Answers every call's outcome and the simulator's counters,
 * sampled every 250 ms.
 */
async function burst(env: Env, url: URL): Promise<Response> {
  const access: Access = url.searchParams.get('access') === 'write' ? 'write' : 'read';
  const governed = url.searchParams.get('gate') !== 'off';
  const rps = Number(url.searchParams.get('rps') ?? '300');
  const ms = Number(url.searchParams.get('ms') ?? '10000');
  const sim = upstreamFetch(env);
  const samples: { t: number; count: number; r429: number }[] = [];
  const start = performance.now();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const res = await sim('http://checkout-sim.bench/_sim/stats', {
        headers: { authorization: 'Bearer sim_admin_dev' },
      });
      const stats = (await res.json()) as { requests: Record<Access, number>; responses_429: number };
      samples.push({
        t: performance.now() - start,
        count: stats.requests[access],
        r429: stats.responses_429,
      });
      await sleep(250);
    }
  })();
  const outcomes: { status: number | null; waited: number; shed: boolean; error?: string }[] = [];
  const inflight: Promise<void>[] = [];
  const total = Math.round((rps * ms) / 1000);
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rps - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(
      oneCall(env, access, governed).then((o) => {
        const row: { status: number | null; waited: number; shed: boolean; error?: string } = {
          status: o.status,
          waited: Math.round(o.waited),
          shed: o.shed !== undefined,
        };
        if (o.error) row.error = o.error;
        outcomes.push(row);
      }),
    );
  }
  const offeredMs = performance.now() - start;
  await Promise.all(inflight);
  done = true;
  await sampler;
  return Response.json({ offered_ms: offeredMs, outcomes, samples });
}
