export { rateGateFromEnv } from './from-env';
export type { ClassSnapshot, GovernorSnapshot, LeaseGrant } from './governor-do';
export { type GateStats, type GovernorPort, LeasedRateGate, type LeasedRateGateOptions } from './rate-gate';
export * from './schedule';
export * from './settings';
export { accountGovernor, GOVERNOR_NAME } from './stubs';
