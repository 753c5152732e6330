import { env } from 'cloudflare:test';
import { beforeAll } from 'vitest';
import { accountGovernor } from '../../src/ratelimit';

/**
 * Runs before each file of the shared-runtime `bollard` project (vitest.config.ts): the files share one
 * runtime per worker, so the simulator beside it is put back to its default settings and no faults, and
 * the account's rate governor to fresh books (a file that provoked upstream 429s lowered its budget). Data
 * stays (payments, the OAuth tokens Bollard has cached): files assert on ids of their own.
 */
beforeAll(async () => {
  const sim = (env as unknown as { CHECKOUT_SIM: Fetcher }).CHECKOUT_SIM;
  const admin = { authorization: 'Bearer sim_admin_dev' };
  for (const path of ['/_sim/config', '/_sim/faults']) {
    const res = await sim.fetch(`http://sim${path}`, { method: 'DELETE', headers: admin });
    if (res.status !== 204) throw new Error(`simulator ${path}: ${res.status}`);
  }
  const governor = accountGovernor(env);
  await governor.configure(null);
  await governor.reset();
});
