import type { RateGovernor } from './governor-do';

/** The one module that names `RATE_GOVERNOR` objects (docs/storage.md). */

/** The name of the account's one governor (every Worker of the account must use this name). */
export const GOVERNOR_NAME = 'account';

/** The account-wide governor: the one object that schedules every outbound call of the account. */
export function accountGovernor(env: Env): DurableObjectStub<RateGovernor> {
  return env.RATE_GOVERNOR.getByName(GOVERNOR_NAME);
}
