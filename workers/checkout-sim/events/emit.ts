import type { SimContext } from '../lib/context';

/**
 * Records an event and queues its delivery to every matching active workflow.
 * (Owned by the simulator events work: workflows, delivery, disputes.)
 */
export function emitEvent(
  _sim: SimContext,
  _type: string,
  _subjectId: string,
  _data: Record<string, unknown>,
): void {}
