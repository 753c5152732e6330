import { forgetConfig } from './config';
import type { SimContext } from './context';
import { forgetFaults, restartFaults } from './faults';
import type { SimRuntime } from './runtime';
import { discardCounters } from './stats';

/**
 * Wipes every table (payments, vault, idempotency, counters, config, the events module's workflows and
 * deliveries, ...) while keeping the schema, cancels the delivery alarm, and clears the in-memory state,
 * so the simulator answers as if freshly started.
 */
export async function resetSimulator(sim: SimContext, runtime: SimRuntime): Promise<void> {
  const tables = sim.sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    )
    .toArray();
  for (const { name } of tables) sim.sql.exec(`DELETE FROM "${name.replaceAll('"', '""')}"`);
  discardCounters(sim.sql);
  forgetConfig(sim.sql);
  forgetFaults(sim.sql);
  runtime.windows.read = { second: 0, count: 0 };
  runtime.windows.write = { second: 0, count: 0 };
  runtime.inflight.clear();
  restartFaults(runtime);
  runtime.peaks = { read: 0, write: 0 };
  await sim.storage.deleteAlarm();
}
