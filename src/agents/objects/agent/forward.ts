import { withObjectDeadline } from '../../model/deadlines';
import { agentDirectory, auditIndex } from '../stubs';
import { directoryRow, profileOf } from './profile';
import { type AgentStores, chainState } from './state';

/** Entries sent to the index per round trip, and round trips per alarm at most. */
const FLUSH_BATCH = 200;
const FLUSH_BATCHES_PER_ALARM = 10;

/**
 * Sends this agent's row to the directory, and records which version it has. `failed`: the alarm is to
 * retry (the directory is a listing, never on a call's path).
 */
export async function sendToDirectory(
  env: Env,
  stores: AgentStores | null,
): Promise<'sent' | 'failed' | 'none'> {
  const row = profileOf(stores);
  if (!row || !stores) return 'none';
  try {
    await withObjectDeadline(agentDirectory(env).upsert(directoryRow(row)), 'the agent directory');
    stores.sql.exec('UPDATE chain_state SET directory_version = ? WHERE id = 1', row.version);
    return 'sent';
  } catch {
    return 'failed';
  }
}

/**
 * Forwards the entries the global index does not have yet, in batches: `more` when the alarm's share ran
 * out first, `failed` when a round trip failed (the failures are counted for the alarm's backoff).
 */
export async function forwardToIndex(env: Env, stores: AgentStores): Promise<'done' | 'more' | 'failed'> {
  const { chain, sql } = stores;
  const state = chainState(sql);
  let forwarded = state.forwarded_seq;
  for (let i = 0; i < FLUSH_BATCHES_PER_ALARM; i++) {
    const batch = chain.after(forwarded, FLUSH_BATCH);
    if (batch.length === 0) return 'done';
    try {
      const { head_seq } = await withObjectDeadline(
        auditIndex(env).ingest(state.chain, batch),
        'the audit index',
      );
      forwarded = head_seq;
      sql.exec('UPDATE chain_state SET forwarded_seq = ?, flush_failures = 0 WHERE id = 1', forwarded);
    } catch {
      sql.exec('UPDATE chain_state SET flush_failures = flush_failures + 1 WHERE id = 1');
      return 'failed';
    }
  }
  return chain.after(forwarded, 1).length ? 'more' : 'done';
}
