import { waitUntil } from 'cloudflare:workers';
import { LeasedRateGate } from './rate-gate';
import { settingsFromEnv } from './settings';
import { accountGovernor } from './stubs';

// One gate per isolate: its leased permits serve every request the isolate handles.
let isolateGate: LeasedRateGate | null = null;

/**
 * The isolate's `RateGate` for the account-wide governor. Shared across requests so leased permits are
 * reused; its background renewals are kept alive by the `waitUntil` of whichever request starts them
 * (`cloudflare:workers` resolves it from the current request's context).
 */
export function rateGateFromEnv(env: Env): LeasedRateGate {
  isolateGate ??= new LeasedRateGate({
    governor: () => accountGovernor(env),
    maxWaitMs: settingsFromEnv(env).maxWaitMs,
    waitUntil,
  });
  return isolateGate;
}
