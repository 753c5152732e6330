import { startTopology } from '../scripts/bench-topology';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { createAgent, GOVERNOR_OUT_OF_REACH, SIM_LIMITS_OUT_OF_REACH, seedPayment } from './fixtures';
import { printHotPath, runHotPath, scaled } from './hot-path';
import { measure, printTable, writeResult } from './lib';

/**
 * The agent gateway's cost on a read: `GET /payments/{id}` straight to the simulator with the secret key
 * vs `GET /agent/v1/payments/{id}` through Bollard with an agent key (the agent's object, catalog match,
 * grant check, governor lease, forward, audit append), and through a Worker that only forwards it (the
 * floor of any gateway here), all in one workerd (scripts/bench-topology.ts), at concurrency 1 and 32 in
 * interleaved rounds. Targets: p50 ≤ 1.25× direct, throughput ≥ 0.8×. Also a
 * refused call (403: no upstream) and the audit chain's verification after the load.
 */
const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' };

export default async function run(): Promise<void> {
  const topology = await startTopology({
    // High limits on both sides: this measures the gateway's overhead, not rate limiting.
    simVars: SIM_LIMITS_OUT_OF_REACH,
    vars: GOVERNOR_OUT_OF_REACH,
  });
  try {
    const secret = `Bearer ${DEV_CREDENTIALS.secretKey}`;
    const id = await seedPayment(topology.simUrl, 'agents-bench');
    // Both Bollard entries share the agents' objects, so one key serves the timed and the metered side.
    const key = await createAgent(topology.bollardUrl, 'bench reader', { payments: 'read' });
    const muteKey = await createAgent(topology.bollardUrl, 'bench no grant', {});

    const readDirect = async (base: string) => {
      const res = await fetch(`${base}/payments/${id}`, {
        headers: { authorization: secret, accept: 'application/json' },
      });
      await res.arrayBuffer();
      return res.status === 200;
    };
    const result = await runHotPath(
      {
        surface: 'agent gateway read',
        direct: () => readDirect(topology.simUrl),
        floor: () => readDirect(`${topology.bareUrl}/forward`),
        via: (base) =>
          fetch(`${base}/agent/v1/payments/${id}`, {
            headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
          }),
        status: 200,
        target: { p50Ratio: 1.25, rpsRatio: 0.8 },
      },
      topology,
    );
    printHotPath('GET /agent/v1/payments/{id} vs GET /payments/{id} on the simulator', result);

    // A refused call: authentication, matching, the grant check and the audit append, no upstream call.
    const refusedTrips: string[] = [];
    const refused = (base: string) => async () => {
      const res = await fetch(`${base}/agent/v1/payments/${id}`, {
        headers: { authorization: `Bearer ${muteKey}` },
      });
      await res.arrayBuffer();
      const trips = res.headers.get('x-bollard-do-calls-detail');
      if (trips !== null && refusedTrips.length < 1) refusedTrips.push(trips);
      return res.status === 403;
    };
    const refusedRun = await measure(refused(topology.bollardUrl), {
      concurrency: 8,
      durationMs: scaled(2_000),
      warmup: 20,
    });
    await measure(refused(topology.meteredUrl), { concurrency: 1, requests: 5 });
    const refusedRow = {
      path: 'refused (403, no upstream), concurrency 8',
      p50: refusedRun.p50,
      p99: refusedRun.p99,
      rps: refusedRun.rps,
      errors: refusedRun.errors,
      'DO trips': refusedTrips[0] ?? '?',
    };
    printTable('Refused agent call', [refusedRow]);

    // Every gateway call left an audit record; the chain must still verify after the load.
    const verify = await fetch(`${topology.bollardUrl}/admin/audit/verify`, { headers: ADMIN });
    const audit = (await verify.json()) as { valid: boolean; count: number };
    console.log(`audit chain after the run: valid=${audit.valid}, records=${audit.count}`);
    writeResult('agents', { ...result, refused: refusedRow, audit });
  } finally {
    await topology.dispose();
  }
}
