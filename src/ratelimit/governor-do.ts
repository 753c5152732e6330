import { DurableObject } from 'cloudflare:workers';

/** The account-wide rate budget (issue: OAuth + governor). */
export class RateGovernor extends DurableObject<Env> {}
