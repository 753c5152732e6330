import { LeasedRateGate } from './rate-gate';
import { settingsFromEnv } from './settings';
import { accountGovernor } from './stubs';

// One gate per isolate: its leased slots serve every request the isolate handles.
let isolateGate: LeasedRateGate | null = null;

/**
 * The isolate's `RateGate` for the account-wide governor. Shared across requests so leased slots are
 * reused; `waitUntil` of the first request is not kept (throttle reports are awaited best-effort).
 */
export function rateGateFromEnv(env: Env): LeasedRateGate {
  isolateGate ??= new LeasedRateGate({
    governor: () => accountGovernor(env),
    maxWaitMs: settingsFromEnv(env).maxWaitMs,
  });
  return isolateGate;
}
