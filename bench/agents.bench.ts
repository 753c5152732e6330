import { startStack } from '../scripts/stack';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { type Measurement, measure, printTable, round, writeResult } from './lib';

/**
 * The agent gateway's cost on a read: `GET /payments/{id}` straight to the simulator with the secret key
 * vs through Bollard's `/agent/v1` with an agent key (registry lookup, catalog match, grant check,
 * governor lease, forward, audit append). Both are real `wrangler dev` processes on loopback, measured
 * in interleaved rounds of the same run; reported as ratios, since absolute times drift on a shared machine.
 */
export default async function run(): Promise<void> {
  const stack = await startStack({
    simPort: 18796,
    bollardPort: 18797,
    // High limits on both sides: this measures the gateway's overhead, not rate limiting.
    simVars: { SIM_READS_PER_SECOND: '100000', SIM_WRITES_PER_SECOND: '100000' },
    vars: { RATE_LIMIT_READS_PER_SECOND: '100000', RATE_LIMIT_WRITES_PER_SECOND: '100000' },
  });
  try {
    const secret = {
      authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${stack.simUrl}/payments`, {
      method: 'POST',
      headers: secret,
      body: JSON.stringify({
        amount: 1000,
        currency: 'EUR',
        reference: 'agents-bench',
        source: { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' },
      }),
    });
    if (created.status !== 201) throw new Error(`seed payment: ${created.status}`);
    const { id } = (await created.json()) as { id: string };
    const agentRes = await fetch(`${stack.bollardUrl}/admin/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench reader', grants: { payments: 'read' } }),
    });
    if (agentRes.status !== 201) throw new Error(`create agent: ${agentRes.status}`);
    const { key } = (await agentRes.json()) as { key: string };
    const mute = await fetch(`${stack.bollardUrl}/admin/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench no grant', grants: {} }),
    });
    const { key: muteKey } = (await mute.json()) as { key: string };

    const read = (url: string, authorization: string) => async () => {
      const res = await fetch(url, { headers: { authorization, accept: 'application/json' } });
      await res.text();
      return res.status === 200;
    };
    const direct = read(`${stack.simUrl}/payments/${id}`, `Bearer ${DEV_CREDENTIALS.secretKey}`);
    const gateway = read(`${stack.bollardUrl}/agent/v1/payments/${id}`, `Bearer ${key}`);
    // A refused call: authentication, matching, the grant check and the audit append, no upstream call.
    const refusedUrl = `${stack.bollardUrl}/agent/v1/payments/${id}`;
    const refused = async () => {
      const res = await fetch(refusedUrl, { headers: { authorization: `Bearer ${muteKey}` } });
      await res.text();
      return res.status === 403;
    };

    const opts = { concurrency: 8, requests: 400, warmup: 40 };
    const rounds: Array<{ direct: Measurement; gateway: Measurement; refused: Measurement }> = [];
    for (let i = 0; i < 3; i++)
      rounds.push({
        direct: await measure(direct, opts),
        gateway: await measure(gateway, opts),
        refused: await measure(refused, opts),
      });

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const rows = rounds.flatMap((r, i) => [
      { round: i + 1, path: 'direct to simulator', ...roundAll(r.direct) },
      { round: i + 1, path: 'via /agent/v1', ...roundAll(r.gateway) },
      { round: i + 1, path: 'refused (403, no upstream)', ...roundAll(r.refused) },
    ]);
    const summary = {
      p50Ratio: round(median(rounds.map((r) => r.gateway.p50 / r.direct.p50))),
      addedP50Ms: round(median(rounds.map((r) => r.gateway.p50 - r.direct.p50))),
      addedP99Ms: round(median(rounds.map((r) => r.gateway.p99 - r.direct.p99))),
      throughputRatio: round(median(rounds.map((r) => r.gateway.rps / r.direct.rps))),
      refusedP50Ms: round(median(rounds.map((r) => r.refused.p50))),
      target: 'gateway p50 <= 1.25x direct p50',
    };
    printTable(
      'GET /payments/{id}: direct vs through the agent gateway (8 concurrent, 400 calls per round)',
      rows,
    );
    printTable('agent gateway overhead (median of rounds)', [summary]);
    // Every measured gateway call left an audit record; the chain must still verify after the load.
    const verify = await fetch(`${stack.bollardUrl}/admin/audit/verify`, {
      headers: { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` },
    });
    const verification = (await verify.json()) as { valid: boolean; count: number };
    console.log(`audit chain after the run: valid=${verification.valid}, records=${verification.count}`);
    writeResult('agents', { rows, summary, audit: verification });
  } finally {
    await stack.stop();
  }
}

function roundAll(m: Measurement): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)]));
}
