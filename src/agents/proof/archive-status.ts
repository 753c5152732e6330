import { withTimeout } from '../../http/timeout';
import { auditIndex } from '../objects/stubs';
import type { ArchiveSummary, ChainArchiveState } from './archive-ledger';

/** Chains listed on the status page (the most behind first); `GET /admin/audit/archive` pages through all. */
const STATUS_CHAINS = 20;

export type ArchiveStatus =
  | (ArchiveSummary & { bucket_bound: boolean; chains_shown: ChainArchiveState[] })
  | { bucket_bound: boolean; error: string };

/**
 * `GET /admin/status` → `audit_archive`: whether the bucket is bound, the totals (chains archived, entries
 * behind, the oldest unarchived entry's age, the last run and its report), and the last archived head and
 * lag of the chains most behind.
 */
export async function archiveStatus(env: Env, timeoutMs = 2_000): Promise<ArchiveStatus> {
  const bucket_bound = Boolean((env as Partial<Pick<Env, 'AUDIT_ARCHIVE'>>).AUDIT_ARCHIVE);
  try {
    const { summary, chains } = await withTimeout<{ summary: ArchiveSummary; chains: ChainArchiveState[] }>(
      auditIndex(env).archiveStatus(STATUS_CHAINS),
      timeoutMs,
      () => new Error('timeout'),
    );
    return { bucket_bound, ...summary, chains_shown: chains };
  } catch {
    return { bucket_bound, error: 'the audit index did not answer' };
  }
}
