import type { Approvers } from './approvers-do';

/**
 * The one place that names the `APPROVERS` namespace (design.md, "one stubs module per area"). Each call
 * on the stub is a round trip, bounded by the caller (`withApproversDeadline`, store.ts).
 */
export function approvers(env: Env): DurableObjectStub<Approvers> {
  return env.APPROVERS.getByName('global');
}
