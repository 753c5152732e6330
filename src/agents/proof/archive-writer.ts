import { type AuditEntry, checkRange, GENESIS_HASH } from '../model/audit-entry';
import { withObjectDeadline } from '../model/deadlines';
import { auditIndex, agentObject as chainObject } from '../objects/stubs';
import {
  ARCHIVE_HEAD_TYP,
  headClaims,
  headKey,
  headPrefix,
  isArchivableChain,
  keyObjectKey,
  type RangeStart,
  rangeKey,
  rangeLastSeq,
  rangePrefix,
  readHead,
  toNdjson,
} from './archive-layout';
import type { ArchivedHead, ArchiveTask } from './archive-ledger';
import { getText, lastKeyAfter, putOnce } from './archive-store';
import type { PublicJwk } from './jwk';
import { sha256Hex } from './receipts';
import { issuer, loadSigner, previousKeys, type Signer, signCompact, verifyCompact } from './signer';

/**
 * The audit archive run (docs/agents.md, "Proving what an agent did"): for each chain the index knows with
 * entries past its archived head, read the new entries from the chain's own object, check that they
 * continue the last signed head (seq + 1, `prev_hash` = the head's hash, every hash recomputed), write them
 * as a write-once NDJSON range and a signed head to R2, then tell the index and the chain's object, which
 * may prune up to there and no further. Run by the Cron Trigger (`scheduled`) and `POST /admin/audit/archive`;
 * one run at a time (a lease in the index). Bounded: at most `maxEntries` entries and `deadlineMs` per run,
 * `rangeEntries` per range; what is left goes in the next run (`more`).
 */

export type ArchiveProblemKind =
  /** The new entries do not continue the last signed head (an edited, removed or reordered entry). */
  | 'chain_break'
  /** Entries between the last signed head and what the chain holds are gone. */
  | 'gap'
  /** A range or head object already exists with other bytes: left as it is. */
  | 'range_conflict'
  | 'head_conflict'
  /** The last head in the archive does not verify, or disagrees with what the index recorded. */
  | 'head_invalid'
  /** The index recorded a head the archive does not hold. */
  | 'head_missing'
  /** The chain's own object does not hold the archived head's entry. */
  | 'diverged'
  /** A kid already in the archive names another key. */
  | 'key_conflict'
  /** The chain's object or the index did not answer. */
  | 'unreachable';

export interface ArchiveProblem {
  chain: string;
  problem: ArchiveProblemKind;
  seq: number | null;
}

export interface ArchiveWrite {
  chain: string;
  first_seq: number;
  last_seq: number;
  range_key: string;
  head_key: string;
}

export interface ArchiveReport {
  /** False when the run could not start (`reason`). */
  ok: boolean;
  reason?: 'archive_not_bound' | 'receipt_key_missing' | 'archive_running' | 'index_unreachable';
  trigger: 'cron' | 'admin';
  started_at: string;
  finished_at: string;
  chains: number;
  ranges: number;
  entries: number;
  /** More entries were due than this run's budget: the next run goes on. */
  more: boolean;
  /** The ranges written (the first 100). */
  written: ArchiveWrite[];
  problems: ArchiveProblem[];
}

export interface ArchiveOptions {
  trigger: 'cron' | 'admin';
  nowMs?: () => number;
  maxEntries?: number;
  rangeEntries?: number;
  deadlineMs?: number;
}

const LEASE_MS = 15 * 60_000;
const PLAN_PAGE = 100;
const LISTED_WRITES = 100;
export const DEFAULT_RANGE_ENTRIES = 5_000;
export const DEFAULT_RUN_ENTRIES = 100_000;
const DEFAULT_DEADLINE_MS = 10 * 60_000;

interface Run {
  env: Env;
  bucket: R2Bucket;
  signer: Signer;
  now: () => number;
  budget: number;
  rangeEntries: number;
  until: number;
  report: ArchiveReport;
}

function emptyReport(trigger: ArchiveReport['trigger'], startedMs: number): ArchiveReport {
  const at = new Date(startedMs).toISOString();
  return {
    ok: true,
    trigger,
    started_at: at,
    finished_at: at,
    chains: 0,
    ranges: 0,
    entries: 0,
    more: false,
    written: [],
    problems: [],
  };
}

/** Runs one archive pass. Never throws for a chain's problem: each is reported and the run goes on. */
export async function runArchive(env: Env, options: ArchiveOptions): Promise<ArchiveReport> {
  const now = options.nowMs ?? Date.now;
  const started = now();
  const report = emptyReport(options.trigger, started);
  const bucket = (env as Partial<Pick<Env, 'AUDIT_ARCHIVE'>>).AUDIT_ARCHIVE;
  if (!bucket) return { ...report, ok: false, reason: 'archive_not_bound' };
  const state = await loadSigner(env).catch(() => null);
  if (state?.kind !== 'ok') return { ...report, ok: false, reason: 'receipt_key_missing' };
  const index = auditIndex(env);
  const holder = crypto.randomUUID();
  let leased: boolean;
  try {
    leased = await withObjectDeadline(index.archiveLease(holder, started, LEASE_MS), 'the audit index');
  } catch {
    return { ...report, ok: false, reason: 'index_unreachable' };
  }
  if (!leased) return { ...report, ok: false, reason: 'archive_running' };
  const run: Run = {
    env,
    bucket,
    signer: state.signer,
    now,
    budget: options.maxEntries ?? DEFAULT_RUN_ENTRIES,
    rangeEntries: options.rangeEntries ?? DEFAULT_RANGE_ENTRIES,
    until: started + (options.deadlineMs ?? DEFAULT_DEADLINE_MS),
    report,
  };
  try {
    await archiveKeys(run);
    let after = '';
    for (;;) {
      const plan = await withObjectDeadline(index.archivePlan(after, PLAN_PAGE), 'the audit index');
      for (const task of plan) {
        if (run.budget <= 0 || now() >= run.until) {
          report.more = true;
          break;
        }
        report.chains++;
        await archiveChain(run, task);
      }
      if (report.more || plan.length < PLAN_PAGE) break;
      after = plan.at(-1)?.chain ?? after;
    }
  } catch {
    report.problems.push({ chain: '*', problem: 'unreachable', seq: null });
  } finally {
    report.finished_at = new Date(now()).toISOString();
    await withObjectDeadline(index.archiveRelease(holder, report, now()), 'the audit index').catch(() => {});
  }
  return report;
}

/** `keys/<kid>.json` for the current key and each previous one, so the archive verifies on its own. */
async function archiveKeys(run: Run): Promise<void> {
  const previous = previousKeys(run.env);
  const keys: PublicJwk[] = [run.signer.publicJwk, ...(previous.ok ? previous.value : [])];
  for (const key of keys) {
    // The key as it signs, without a previous key's publication date (that changes; the key does not).
    const { verify_until: _until, ...jwk } = key;
    const body = `${JSON.stringify(jwk)}\n`;
    const put = await putOnce(
      run.bucket,
      keyObjectKey(jwk.kid),
      body,
      'application/jwk+json',
      sha256Hex(body),
    );
    if (put === 'conflict') run.report.problems.push({ chain: '*', problem: 'key_conflict', seq: null });
  }
}

/** A key the archive itself holds (`keys/<kid>.json`): verifies heads signed by a key since retired. */
function archivedKey(bucket: R2Bucket): (kid: string) => Promise<PublicJwk | null> {
  return async (kid) => {
    const text = await getText(bucket, keyObjectKey(kid)).catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as PublicJwk;
    } catch {
      return null;
    }
  };
}

type HeadLookup =
  | { kind: 'head'; head: ArchivedHead }
  | { kind: 'none' }
  | { kind: 'problem'; problem: ArchiveProblemKind; seq: number | null };

/**
 * The chain's last signed head in R2: the one the index recorded, or a later one (a run that wrote it and
 * stopped before telling the index). Its signature and claims are checked before anything continues it.
 */
async function lastSignedHead(run: Run, task: ArchiveTask): Promise<HeadLookup> {
  const { chain, archived } = task;
  const later = await lastKeyAfter(run.bucket, headPrefix(chain), archived?.key);
  const key = later ?? archived?.key ?? null;
  if (key === null) return { kind: 'none' };
  const text = await getText(run.bucket, key);
  if (text === null) return { kind: 'problem', problem: 'head_missing', seq: archived?.seq ?? null };
  const claims = await verifyCompact(run.env, text.trim(), ARCHIVE_HEAD_TYP, archivedKey(run.bucket));
  const head = claims ? readHead(claims) : null;
  if (!head || head.chain !== chain || headKey(chain, head.seq) !== key)
    return { kind: 'problem', problem: 'head_invalid', seq: archived?.seq ?? null };
  if (archived && head.seq === archived.seq && head.hash !== archived.hash)
    return { kind: 'problem', problem: 'head_invalid', seq: archived.seq };
  return {
    kind: 'head',
    head: { seq: head.seq, hash: head.hash, key, count: head.count, at_ms: Date.parse(head.head_at) },
  };
}

/** Tells the index and the chain's object that the archive holds the chain through `head`. */
async function mark(run: Run, chain: string, head: ArchivedHead): Promise<boolean> {
  const marked = await withObjectDeadline<boolean | 'diverged'>(
    chainObject(run.env, chain).markArchived(head.seq, head.hash, run.now()),
    "the chain's object",
  );
  if (marked === 'diverged') {
    run.report.problems.push({ chain, problem: 'diverged', seq: head.seq });
    return false;
  }
  await withObjectDeadline(auditIndex(run.env).markArchived(chain, head, run.now()), 'the audit index');
  return true;
}

async function archiveChain(run: Run, task: ArchiveTask): Promise<void> {
  const { chain } = task;
  const problem = (kind: ArchiveProblemKind, seq: number | null): void => {
    run.report.problems.push({ chain, problem: kind, seq });
  };
  if (!isArchivableChain(chain)) return problem('unreachable', null);
  try {
    const found = await lastSignedHead(run, task);
    if (found.kind === 'problem') return problem(found.problem, found.seq);
    const object = chainObject(run.env, chain);
    let start: RangeStart;
    if (found.kind === 'head') {
      const { head } = found;
      // A head the index did not record yet (a run that stopped after writing it): adopt it first.
      const unrecorded = !task.archived || head.seq > task.archived.seq;
      if (unrecorded && !(await mark(run, chain, head))) return;
      start = { seq: head.seq, hash: head.hash, key: head.key, count: head.count, from: 'head' };
    } else {
      // A chain's first range: from its genesis, or from its anchor if it was pruned before any archive.
      const anchor = await withObjectDeadline(object.prunedThrough(), "the chain's object");
      start = anchor
        ? { seq: anchor.seq, hash: anchor.hash, key: null, count: 0, from: 'anchor' }
        : { seq: 0, hash: GENESIS_HASH, key: null, count: 0, from: 'genesis' };
    }
    while (run.budget > 0 && run.now() < run.until) {
      // A range a stopped run wrote without its head is written again with the same bounds (so the same
      // bytes), never as a second, overlapping object.
      const orphan = await lastKeyAfter(run.bucket, rangePrefix(chain, start.seq + 1), undefined);
      const orphanLast = orphan === null ? null : rangeLastSeq(orphan);
      const limit = orphanLast !== null ? orphanLast - start.seq : Math.min(run.rangeEntries, run.budget);
      const entries: AuditEntry[] = await withObjectDeadline(
        object.entries(start.seq, limit),
        "the chain's object",
      );
      const first = entries[0];
      const last = entries.at(-1);
      if (!first || !last) return;
      if (first.seq !== start.seq + 1) return problem('gap', start.seq + 1);
      const check = checkRange(entries, start.seq, start.hash);
      if (!check.valid || entries.some((e) => e.chain !== chain))
        return problem('chain_break', check.first_invalid_seq ?? first.seq);
      const next = await writeRange(run, chain, start, entries);
      if (next === null) return;
      start = next;
      if (entries.length < limit) return;
    }
    // Still entries to go: the next run continues from the head just written.
    run.report.more = true;
  } catch {
    problem('unreachable', null);
  }
}

/** Writes one range and its signed head, then marks it; the new start, or null after a reported problem. */
async function writeRange(
  run: Run,
  chain: string,
  start: RangeStart,
  entries: AuditEntry[],
): Promise<RangeStart | null> {
  const first = entries[0] as AuditEntry;
  const last = entries.at(-1) as AuditEntry;
  const ndjson = toNdjson(entries);
  const rKey = rangeKey(chain, first.seq, last.seq);
  const rangeSha = sha256Hex(ndjson);
  const put = await putOnce(run.bucket, rKey, ndjson, 'application/x-ndjson', rangeSha);
  if (put === 'conflict') {
    run.report.problems.push({ chain, problem: 'range_conflict', seq: first.seq });
    return null;
  }
  const claims = headClaims(
    chain,
    start,
    last,
    {
      key: rKey,
      first_seq: first.seq,
      entries: entries.length,
      sha256: rangeSha,
      bytes: new TextEncoder().encode(ndjson).length,
    },
    { iss: issuer(run.env), nowMs: run.now(), jti: crypto.randomUUID(), kid: run.signer.kid },
  );
  const hKey = headKey(chain, last.seq);
  const jws = `${await signCompact(run.signer, claims, ARCHIVE_HEAD_TYP)}\n`;
  const headPut = await putOnce(run.bucket, hKey, jws, 'application/jose', sha256Hex(jws));
  if (headPut === 'conflict') {
    run.report.problems.push({ chain, problem: 'head_conflict', seq: last.seq });
    return null;
  }
  const head: ArchivedHead = {
    seq: last.seq,
    hash: last.hash,
    key: hKey,
    count: claims.count,
    at_ms: last.at_ms,
  };
  if (!(await mark(run, chain, head))) return null;
  run.budget -= entries.length;
  run.report.ranges++;
  run.report.entries += entries.length;
  if (run.report.written.length < LISTED_WRITES)
    run.report.written.push({
      chain,
      first_seq: first.seq,
      last_seq: last.seq,
      range_key: rKey,
      head_key: hKey,
    });
  return { seq: last.seq, hash: last.hash, key: hKey, count: claims.count, from: 'head' };
}
