import { GENESIS_HASH, type RangeCheck } from '../../model/audit-entry';
import { type AuditRetention, chainRetentionMs } from '../../model/retention';
import type { PrunedThrough, PruneResult } from './audit-chain';
import { type AgentStores, chainState } from './state';

/** Entries pruned per alarm at most; the alarm comes back this soon while more are due. */
export const PRUNE_BATCH = 500;
export const PRUNE_AGAIN_MS = 1_000;
/** While a chain holds entries, its alarm looks at least this often (a shorter retention takes effect). */
export const PRUNE_CHECK_MAX_MS = 24 * 60 * 60 * 1000;

/** A chain check, with where the chain now starts when its oldest entries were pruned. */
export type ChainCheck = RangeCheck & { pruned_through: PrunedThrough | null };

/**
 * Verifies the chain after `fromSeq` (a checkpoint, or 0 for all of it) up to `toSeq`; a range inside the
 * pruned prefix starts at the anchor. An object with no chain is valid only from its genesis.
 */
export function verifyChain(
  stores: AgentStores | null,
  fromSeq: number,
  fromHash: string,
  toSeq: number | undefined,
): ChainCheck {
  if (!stores)
    return {
      valid: fromSeq === 0,
      start_seq: 0,
      checked: 0,
      head_seq: 0,
      head_hash: GENESIS_HASH,
      first_invalid_seq: null,
      pruned_through: null,
    };
  return { ...stores.chain.verify(fromSeq, fromHash, toSeq), pruned_through: stores.chain.prunedThrough() };
}

/**
 * One bounded pruning pass: at most `PRUNE_BATCH` of the oldest entries older than the chain's retention,
 * only entries the global index already has, never a start still waiting for its outcome, and only after
 * they verify from the current anchor. Their per-call rows go too.
 */
export function pruneChain(
  stores: AgentStores | null,
  retention: AuditRetention,
  nowMs: number,
): PruneResult {
  if (!stores) return { pruned: 0, through: null, more: false, blocked: null };
  const { chain, calls } = stores;
  const state = chainState(stores.sql);
  const keepMs = chainRetentionMs(retention, state.chain);
  const pendingFrom = calls.oldestPendingSeq() ?? Number.POSITIVE_INFINITY;
  return chain.prune(
    nowMs - keepMs,
    // Never past what the audit archive holds (src/proof): unarchived evidence is not dropped.
    Math.min(state.forwarded_seq, stores.archived.seq()),
    PRUNE_BATCH,
    nowMs,
    (seq) => seq >= pendingFrom,
    (through) => calls.forget(state.chain, through),
  );
}

/** When the next pruning pass is due: soon while a batch was full, else when the oldest entry expires. */
export function nextPruneAt(
  stores: AgentStores,
  retention: AuditRetention,
  now: number,
  pruned: PruneResult,
  chain: string,
): number | null {
  if (pruned.more) return now + PRUNE_AGAIN_MS;
  const oldest = stores.chain.oldestAtMs();
  if (oldest === null) return null;
  const expiry = oldest + chainRetentionMs(retention, chain);
  // Past due but not prunable now (not forwarded yet, a pending start, a chain that does not verify):
  // the forward and the sweep have their own alarms; look again within a day.
  if (expiry <= now || pruned.blocked !== null) return now + PRUNE_CHECK_MAX_MS;
  return Math.max(now + PRUNE_AGAIN_MS, Math.min(expiry, now + PRUNE_CHECK_MAX_MS));
}

/**
 * The audit archive (src/proof/archive-writer.ts) holds this chain through `seq`: entries up to it may go
 * on the next pruning pass (at least daily). Refused (`diverged`) when `hash` is not this chain's own entry
 * at `seq`.
 */
export function markArchived(
  stores: AgentStores | null,
  seq: number,
  hash: string,
  nowMs: number,
): boolean | 'diverged' {
  if (!stores) return 'diverged';
  const { chain } = stores;
  const anchor = chain.prunedThrough();
  return stores.archived.mark(
    seq,
    hash,
    (s) => chain.get(s)?.hash ?? (anchor?.seq === s ? anchor.hash : null),
    nowMs,
  );
}
