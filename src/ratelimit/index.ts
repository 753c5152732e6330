export * from './adaptive';
export { rateGateFromEnv } from './from-env';
export type { ClassSnapshot, GovernorSnapshot } from './governor-do';
export * from './permit-book';
export { type GateStats, type GovernorPort, LeasedRateGate, type LeasedRateGateOptions } from './rate-gate';
export * from './settings';
export { accountGovernor, GOVERNOR_NAME } from './stubs';
