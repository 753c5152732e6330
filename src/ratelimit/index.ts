export * from './adaptive';
export { GOVERNOR_NAME, rateGateFromEnv } from './from-env';
export type { ClassSnapshot, GovernorSnapshot } from './governor-do';
export * from './permit-book';
export { type GateStats, type GovernorPort, LeasedRateGate, type LeasedRateGateOptions } from './rate-gate';
export * from './settings';
