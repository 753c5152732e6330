import { beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { admin, api, CARD, json, resetSim, SK, stats } from './helpers';

beforeEach(resetSim, 30_000);

/** A status, or `dropped` when the caller's fetch (or its body) failed as on a cut connection. */
async function outcome(res: Promise<Response>): Promise<string> {
  try {
    const r = await res;
    await r.text();
    return String(r.status);
  } catch {
    return 'dropped';
  }
}

async function run(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await outcome(api('GET', '/payments', SK)));
  return out;
}

const chaos = (extra: Json) => ({
  routes: {
    'GET /payments': { chaos: { rate: 0.5, kinds: ['500', '502_html', '429', 'drop_before'], ...extra } },
  },
});

describe('chaos', () => {
  it('is reproducible: the same seed and request order give the same faults', async () => {
    await admin('POST', '/_sim/faults', chaos({ seed: 42 }));
    const first = await run(24);
    await admin('POST', '/_sim/faults', chaos({ seed: 42 }));
    expect(await run(24)).toEqual(first);
    await admin('POST', '/_sim/faults', chaos({ seed: 7 }));
    expect(await run(24)).not.toEqual(first);
  });

  it('faults about `rate` of the requests, with the chosen kinds only, and counts them', async () => {
    await admin('POST', '/_sim/faults', chaos({ seed: 42 }));
    const outcomes = await run(24);
    const faulted = outcomes.filter((o) => o !== '200');
    expect(faulted.length).toBeGreaterThan(4);
    expect(faulted.length).toBeLessThan(20);
    expect(new Set(faulted).size).toBeGreaterThan(1);
    for (const o of faulted) expect(['500', '502', '429', 'dropped']).toContain(o);
    expect(((await stats()).faults as Json).chaos).toBe(faulted.length);
  });

  it('picks a seed when none is given and shows it, so the run can be repeated', async () => {
    const set = await json(await admin('POST', '/_sim/faults', chaos({})));
    const seed = (((set.routes as Json)['GET /payments'] as Json).chaos as Json).seed;
    expect(Number.isSafeInteger(seed)).toBe(true);
    expect(await json(await admin('GET', '/_sim/faults'))).toEqual(set);
    const first = await run(12);
    await admin('POST', '/_sim/faults', chaos({ seed }));
    expect(await run(12)).toEqual(first);
  });

  it('stalls, then processes the request normally', async () => {
    await admin('POST', '/_sim/faults', { chaos: { rate: 1, kinds: ['stall'], stall_ms: 300 } });
    const started = Date.now();
    expect((await api('GET', '/payments', SK)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await stats()).faults).toMatchObject({ chaos: 1, delays: 1 });
  });

  it('drops after processing: the effect happened', async () => {
    await admin('POST', '/_sim/faults', { chaos: { rate: 1, kinds: ['drop_after'] } });
    expect(await outcome(api('POST', '/payments', SK, { source: CARD, amount: 100, currency: 'EUR' }))).toBe(
      'dropped',
    );
    await admin('DELETE', '/_sim/faults');
    expect(((await stats()).effects as Json).requestPayment).toBe(1);
  });
});
