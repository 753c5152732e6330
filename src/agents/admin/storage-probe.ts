import { withTimeout } from '../../http/timeout';
import { ANONYMOUS_CHAIN } from '../model/audit-entry';
import { describeAuditRetention } from '../model/retention';
import { agentDirectory, agentObject, auditIndex } from '../objects/stubs';

/**
 * One object's SQLite size, or why it could not be read: the shape `GET /admin/status` shows (the operator
 * module registers `agentStorage` there, so this folder does not depend on src/admin).
 */
interface StorageReading {
  bytes: number | null;
  error?: string;
}

/** Agent objects asked for their size per status request, picked at random by the directory. */
export const AGENT_SIZE_SAMPLE = 16;
/** Each probe's bound; the sample is asked after the directory answers, so two of these in a row at most. */
const PROBE_MS = 1_500;

async function sized(work: Promise<number>, what: string): Promise<StorageReading> {
  try {
    return { bytes: await withTimeout(work, PROBE_MS, () => new Error('timeout')) };
  } catch {
    return { bytes: null, error: `${what} did not answer` };
  }
}

/**
 * `GET /admin/status` → `storage.agents`: the retention settings and each agent-side object's SQLite size
 * (`databaseSize`): the directory, the global audit index, the `anonymous` chain, and a random sample of
 * up to 16 agent objects with their sum, largest and the total extrapolated to every agent. Every round
 * trip is bounded; one that fails reports `bytes: null`.
 */
export async function agentStorage(env: Env): Promise<Record<string, StorageReading | number | string>> {
  const directory = agentDirectory(env);
  const [directorySize, index, anonymous, sample] = await Promise.all([
    sized(directory.databaseSize(), 'the agent directory'),
    sized(auditIndex(env).databaseSize(), 'the audit index'),
    sized(agentObject(env, ANONYMOUS_CHAIN).databaseSize(), 'the anonymous chain'),
    withTimeout(directory.sample(AGENT_SIZE_SAMPLE), PROBE_MS, () => new Error('timeout')).catch(() => null),
  ]);
  const base = { ...describeAuditRetention(env), directory: directorySize, index, anonymous };
  if (sample === null)
    return { ...base, agents: { bytes: null, error: 'the agent directory did not answer' } };
  const sizes = await Promise.all(sample.ids.map((id) => sized(agentObject(env, id).databaseSize(), id)));
  const answered = sizes.flatMap((r) => (r.bytes === null ? [] : [r.bytes]));
  const sum = answered.reduce((a, b) => a + b, 0);
  return {
    ...base,
    agents_count: sample.total,
    agents_probed: answered.length,
    agents_failed: sizes.length - answered.length,
    ...(answered.length
      ? {
          agents_sampled_bytes: sum,
          agents_largest_bytes: Math.max(...answered),
          agents_estimated_total_bytes: Math.round((sum * sample.total) / answered.length),
        }
      : {}),
  };
}
