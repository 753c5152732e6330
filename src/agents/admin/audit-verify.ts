import { withObjectDeadline } from '../model/deadlines';
import type { VerifyTask } from '../objects/audit-index';
import { agentObject, auditIndex } from '../objects/stubs';

/** Chains verified side by side (each is one round trip to that chain's object). */
const CONCURRENCY = 8;

export interface ChainProblem {
  /** The agent id, or `anonymous`. */
  chain: string;
  first_invalid_seq: number;
  /** `hash`: an entry's hash or link is wrong; `diverged`: the chain no longer matches what the index was sent; `unreachable`: no answer in time. */
  problem: 'hash' | 'diverged' | 'unreachable';
}

export interface GlobalVerification {
  valid: boolean;
  /** Chains the index knows. */
  chains: number;
  /** Entries covered by verified checkpoints after this run (every chain, up to what was forwarded). */
  count: number;
  /** A digest of every chain's verified head (`AuditIndex.summary`): keep it elsewhere to detect truncation. */
  head: string;
  /** Entries recomputed by this run: only those after each chain's checkpoint (all of them with `full`). */
  checked: number;
  /** The first problem found (chain order), or null. */
  first_invalid_seq: number | null;
  invalid_chain: string | null;
  problems: ChainProblem[];
  /**
   * What this run read: per chain, the entries after `from_seq` (its checkpoint) up to `to_seq` (its
   * forwarded head); `start_seq` is where the chain's object started, past `from_seq` when the checkpoint
   * lies in the chain's pruned prefix (it then starts at its pruned-through anchor).
   */
  ranges: Array<{ chain: string; from_seq: number; start_seq: number; to_seq: number }>;
  /** Entries appended but not yet forwarded to the index are not covered (at most ~1 s behind). */
  full: boolean;
}

async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(runners);
  return results;
}

interface Check {
  task: VerifyTask;
  start: number;
  checked: number;
  problem: ChainProblem['problem'] | null;
  /** The first invalid seq, or the verified head when valid. */
  seq: number;
  hash: string;
}

function check(task: VerifyTask, checked: number, problem: Check['problem'], seq: number): Check {
  return { task, start: task.from_seq, checked, problem, seq, hash: '' };
}

/**
 * Verifies every agent's chain incrementally: the index says, per chain, the last verified checkpoint
 * (seq + hash) and the head it was forwarded; only the entries in between are recomputed, by the chain's
 * own object, which must also end exactly on the forwarded head (an edit, a removal or a truncation after
 * forwarding shows as `diverged`). Valid ranges move their checkpoints forward. The cost follows what is
 * new since the last run, not the size of the log; `full` starts every chain from its genesis.
 */
export async function verifyAll(env: Env, full: boolean): Promise<GlobalVerification> {
  const index = auditIndex(env);
  const plan = await withObjectDeadline(index.verifyPlan(full), 'the audit index');
  const checks = await pool(plan, CONCURRENCY, async (task) => {
    try {
      const r = await withObjectDeadline(
        agentObject(env, task.chain).verify(task.from_seq, task.from_hash, task.to_seq),
        'an agent chain',
      );
      if (!r.valid) return check(task, r.checked, 'hash', r.first_invalid_seq ?? task.from_seq);
      if (r.head_seq !== task.to_seq || r.head_hash !== task.to_hash)
        return check(task, r.checked, 'diverged', r.head_seq + 1);
      if (task.mismatch_seq !== null) return check(task, r.checked, 'diverged', task.mismatch_seq);
      if (r.start_seq > task.from_seq) {
        // The checkpoint lies in the chain's pruned prefix: the chain verified from its anchor, which its
        // object verified when it pruned. While the index's copy still holds that entry, they must agree.
        const witnessed = await withObjectDeadline(index.hashAt(task.chain, r.start_seq), 'the audit index');
        if (witnessed !== null && witnessed !== r.pruned_through?.hash)
          return { ...check(task, r.checked, 'diverged', r.start_seq), start: r.start_seq };
      }
      return { ...check(task, r.checked, null, r.head_seq), start: r.start_seq, hash: r.head_hash };
    } catch {
      return check(task, 0, 'unreachable', task.from_seq + 1);
    }
  });
  const verified = checks.flatMap((c) =>
    c.problem === null ? [{ chain: c.task.chain, seq: c.seq, hash: c.hash }] : [],
  );
  if (verified.length)
    await withObjectDeadline(index.commitCheckpoints(verified, Date.now()), 'the audit index');
  const summary = await withObjectDeadline(index.summary(), 'the audit index');
  const problems: ChainProblem[] = checks.flatMap((c) =>
    c.problem === null ? [] : [{ chain: c.task.chain, first_invalid_seq: c.seq, problem: c.problem }],
  );
  return {
    valid: problems.length === 0,
    chains: summary.chains,
    count: summary.verified,
    head: summary.head,
    checked: checks.reduce((n, c) => n + c.checked, 0),
    first_invalid_seq: problems[0]?.first_invalid_seq ?? null,
    invalid_chain: problems[0]?.chain ?? null,
    problems,
    ranges: checks.map((c) => ({
      chain: c.task.chain,
      from_seq: c.task.from_seq,
      start_seq: c.start,
      to_seq: c.task.to_seq,
    })),
    full,
  };
}
