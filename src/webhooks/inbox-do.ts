import { DurableObject } from 'cloudflare:workers';
import { createLogger, type Logger } from '../http';
import { retryDelayMs } from './backoff';
import { handlers } from './handlers';
import type {
  EventDetail,
  EventSummary,
  ListFilter,
  Page,
  QuarantineEntry,
  QuarantineRecord,
  RecordInput,
  RecordResult,
} from './inbox-types';
import {
  addQuarantine,
  holdsEvent,
  type ListedEvent,
  listQuarantine,
  listSummaries,
  locateEvent,
  migrateCatalogue,
  upsertSummaries,
} from './index-store';
import {
  forgetSummaries,
  markUncatalogued,
  nextCatalogueExpiry,
  nextShardExpiry,
  pruneCatalogue,
  pruneShard,
  type ScanCursor,
  uncatalogued,
} from './retention';
import { type RetentionPolicy, retentionFromEnv } from './retention-settings';
import { inboxCatalogue } from './stubs';
import {
  type ClaimedRun,
  claimDueRuns,
  eventDetail,
  finishRun,
  hasUnindexed,
  markIndexed,
  migrateSubject,
  nextDueAt,
  readProjection,
  recordEvent,
  releaseInterruptedRuns,
  startReplay,
  subjectEvents,
  unindexed,
} from './subject-store';

/** How many runs one alarm claims per round, and rounds per alarm, before yielding to a new alarm. */
const RUNS_PER_ROUND = 50;
const ROUNDS_PER_ALARM = 4;
/** Retry delay for pushing summaries to a catalogue that did not answer. */
const INDEX_RETRY_MS = 5_000;
/**
 * When a delivery only needs its catalogue row refreshed (no handler to run: a duplicate, or no handler
 * for its type), the alarm waits this long so that the shard's deliveries meanwhile are pushed in one call.
 * Each push is an alarm, a catalogue call and a commit on both sides, whatever it carries: at 250 ms they
 * were a fifth of a delivery's CPU under load (`npm run bench -- webhooks`, docs/benchmarks.md). The
 * listing trails by up to this long; lookups by id and the projection do not wait for it.
 */
const INDEX_BATCH_MS = 1000;
/**
 * Retention (retention.ts): a pruning pass runs at most this often, unless the previous one left work
 * behind, when the next follows after PRUNE_BACKLOG_MS. A quiet object sleeps until something can expire.
 */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const PRUNE_BACKLOG_MS = 1_000;
/** Pruned ids sent to the catalogue per call, and calls per alarm. */
const FORGET_BATCH = 500;
const FORGET_CALLS_PER_ALARM = 4;

/**
 * The webhook inbox. One class, two roles by name:
 *
 * - `shard:<i>` — the events of every subject (payment, dispute, or event id) whose stable hash maps to
 *   shard i (shard.ts): deduplicated on the event id, so concurrent or days-apart repeats meet here and
 *   are serialised; the handler runs of each event (exactly once each, retried by alarm with backoff,
 *   dead-lettered after bounded attempts); and the built-in projection per subject. A fixed number of
 *   shards bounds how many objects exist — creating one is the expensive step.
 * - `catalogue` — a summary row per event for listing across subjects, and the quarantine.
 */
export class WebhookInbox extends DurableObject<Env> {
  #subjectReady = false;
  #catalogueReady = false;
  #draining: Promise<void> | null = null;
  /** The scheduled alarm as this instance last set or read it (undefined: not read yet). */
  #alarmAt: number | null | undefined;
  /** The last catalogue push failed: retry it after INDEX_RETRY_MS rather than at once. */
  #indexFailed = false;
  #log: Logger = createLogger({ service: 'bollard', component: 'webhook-inbox' });
  /** When the next pruning pass is due (in memory: a fresh instance prunes at its first alarm). */
  #pruneDueAt = 0;
  #pruneCursor: ScanCursor | null = null;
  /** The last `forget` push to the catalogue failed: retry it after INDEX_RETRY_MS. */
  #forgetFailed = false;

  // ---- subject role -------------------------------------------------------------------------------

  /** Records one delivery (idempotent on the event id) and schedules its handlers after the response. */
  async record(input: RecordInput): Promise<RecordResult> {
    const sql = this.#subject();
    const names = handlers.namesFor(input.type, this.env);
    const result = recordEvent(sql, input, names, Date.now());
    await this.#wakeBy(result.first && names.length > 0 ? 0 : INDEX_BATCH_MS);
    return result;
  }

  /** One event with its handler runs, or null. */
  event(id: string): EventDetail | null {
    return eventDetail(this.#subject(), id);
  }

  /**
   * Whether this shard holds the event. Reads only, and creates nothing in a shard that never stored an
   * event: the by-id lookup asks every shard this while the catalogue does not list an id yet.
   */
  holds(id: string): boolean {
    return holdsEvent(this.ctx.storage.sql, id);
  }

  /** Deliberately re-runs an event's handlers, recorded as the next replay number. */
  async replay(id: string): Promise<{ replay: number; handlers: string[] } | null> {
    const started = startReplay(this.#subject(), id, (type) => handlers.namesFor(type, this.env), Date.now());
    if (started) await this.#wakeBy(0);
    return started;
  }

  /** The payment or dispute projection (JSON text), or null. */
  projection(subject: string, kind: 'payment' | 'dispute'): string | null {
    return readProjection(this.#subject(), subject, kind);
  }

  /** One subject's events (types, times, statuses only), oldest first. */
  feed(
    subject: string,
  ): Array<{ id: string; type: string; created_on: string; received_at: number; status: string }> {
    return subjectEvents(this.#subject(), subject);
  }

  /** Hands due runs to their handlers. Scheduled by `record`/`replay` and by itself for retries. */
  override async alarm(): Promise<void> {
    // This alarm is consumed; a record() arriving while it drains must schedule the next one.
    this.#alarmAt = null;
    if (this.#isCatalogue()) {
      await this.#pruneCatalogue();
      return;
    }
    // A test may run the alarm by hand while the scheduled one is running: share one drain...
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
    });
    await this.#draining;
    // ...but every invocation ends by scheduling the next one (the harness deletes the alarm it runs).
    await this.#reschedule();
  }

  // ---- catalogue role -----------------------------------------------------------------------------

  async upsertSummaries(rows: EventSummary[]): Promise<void> {
    upsertSummaries(this.#catalogue(), rows);
    await this.#ensurePruneAlarm();
  }

  /** Drops the listing rows of events a shard has pruned (retention). */
  forget(ids: string[]): void {
    forgetSummaries(this.#catalogue(), ids.slice(0, FORGET_BATCH));
  }

  list(filter: ListFilter): Page<ListedEvent> {
    return listSummaries(this.#catalogue(), filter);
  }

  locate(id: string): string | null {
    return locateEvent(this.#catalogue(), id);
  }

  async quarantine(record: QuarantineRecord): Promise<{ id: number; deliveries: number }> {
    const kept = addQuarantine(this.#catalogue(), record, Date.now());
    await this.#ensurePruneAlarm();
    return kept;
  }

  quarantined(limit: number, skip: number): Page<QuarantineEntry> {
    return listQuarantine(this.#catalogue(), limit, skip);
  }

  // ---- both roles ---------------------------------------------------------------------------------

  /** This object's SQLite size in bytes (`GET /admin/status`). Reads only; creates no table. */
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  // ---- internals ----------------------------------------------------------------------------------

  #retention(): RetentionPolicy {
    return retentionFromEnv(this.env);
  }

  /** The catalogue holds its table and no events (a shard never creates the catalogue table). */
  #isCatalogue(): boolean {
    if (this.#catalogueReady) return true;
    if (this.#subjectReady) return false;
    const tables = new Set(
      this.ctx.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('catalogue', 'events')",
        )
        .toArray()
        .map((t) => t.name),
    );
    return tables.has('catalogue') && !tables.has('events');
  }

  /** The catalogue prunes on its own alarm: make sure one is set while it holds anything. */
  async #ensurePruneAlarm(): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt !== null) return;
    const next = nextCatalogueExpiry(this.#catalogue(), this.#retention());
    if (next === null) return;
    this.#alarmAt = Math.max(next, Date.now() + PRUNE_INTERVAL_MS);
    await this.ctx.storage.setAlarm(this.#alarmAt);
  }

  async #pruneCatalogue(): Promise<void> {
    const sql = this.#catalogue();
    const policy = this.#retention();
    const now = Date.now();
    const pruned = pruneCatalogue(sql, policy, now);
    if (pruned.quarantine + pruned.orphans > 0) {
      this.#log.info('webhook catalogue pruned', { quarantine: pruned.quarantine, orphans: pruned.orphans });
    }
    const next = pruned.more ? now + PRUNE_BACKLOG_MS : nextCatalogueExpiry(sql, policy);
    if (next === null) return;
    this.#alarmAt = Math.max(next, pruned.more ? now : now + PRUNE_INTERVAL_MS);
    await this.ctx.storage.setAlarm(this.#alarmAt);
  }

  /** A bounded pruning pass when one is due, then the pruned ids' catalogue rows. */
  async #pruneShard(): Promise<void> {
    const sql = this.#subject();
    const now = Date.now();
    const policy = this.#retention();
    const expiry = now >= this.#pruneDueAt ? nextShardExpiry(sql, policy) : null;
    if (expiry !== null && expiry <= now) {
      const pruned = pruneShard(sql, policy, now, this.#pruneCursor);
      this.#pruneCursor = pruned.cursor;
      this.#pruneDueAt = now + (pruned.more ? PRUNE_BACKLOG_MS : PRUNE_INTERVAL_MS);
      if (pruned.events + pruned.expiredIds > 0) {
        const { events, subjects, expiredIds, more } = pruned;
        this.#log.info('webhook inbox pruned', { events, subjects, expired_ids: expiredIds, more });
      }
    }
    this.#forgetFailed = !(await this.#pushForgotten());
  }

  /** Tells the catalogue which events were pruned; false when it could not (retried by alarm). */
  async #pushForgotten(): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    for (let call = 0; call < FORGET_CALLS_PER_ALARM; call++) {
      const ids = uncatalogued(sql, FORGET_BATCH);
      if (ids.length === 0) return true;
      try {
        await inboxCatalogue(this.env).forget(ids);
      } catch (err) {
        this.#log.warn('webhook catalogue forget failed; will retry', { error: err });
        return false;
      }
      markUncatalogued(sql, ids);
    }
    return true;
  }

  #subject(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.#subjectReady) {
      migrateSubject(sql);
      // A fresh instance has no handler in flight: a run still marked running was interrupted.
      releaseInterruptedRuns(sql, Date.now());
      this.#subjectReady = true;
    }
    return sql;
  }

  #catalogue(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.#catalogueReady) {
      migrateCatalogue(sql);
      this.#catalogueReady = true;
    }
    return sql;
  }

  /** Makes sure the alarm fires within `delayMs`, without touching storage when it already will. */
  async #wakeBy(delayMs: number): Promise<void> {
    const target = Date.now() + delayMs;
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt !== null && this.#alarmAt <= target) return;
    this.#alarmAt = target;
    await this.ctx.storage.setAlarm(target);
  }

  async #drain(): Promise<void> {
    const sql = this.#subject();
    for (let round = 0; round < ROUNDS_PER_ALARM; round++) {
      const runs = claimDueRuns(sql, Date.now(), RUNS_PER_ROUND);
      if (runs.length === 0) break;
      // Sequential within a subject on purpose: its events reach handlers one at a time, oldest first.
      // Subjects sharing the shard run side by side, as they would in objects of their own, so a slow
      // handler of one subject does not hold up the others.
      await Promise.all(
        [...bySubject(runs).values()].map(async (own) => {
          for (const run of own) await this.#execute(run);
        }),
      );
    }
    this.#indexFailed = !(await this.#pushSummaries());
    await this.#pruneShard();
  }

  /** Sets the alarm for the earliest of: a due retry, stale catalogue rows, an alarm already asked for. */
  async #reschedule(): Promise<void> {
    const sql = this.#subject();
    const now = Date.now();
    const candidates: number[] = [];
    const due = nextDueAt(sql);
    if (due !== null) candidates.push(due);
    if (hasUnindexed(sql)) candidates.push(now + (this.#indexFailed ? INDEX_RETRY_MS : INDEX_BATCH_MS));
    if (uncatalogued(sql, 1).length > 0)
      candidates.push(now + (this.#forgetFailed ? INDEX_RETRY_MS : INDEX_BATCH_MS));
    // Retention: the next pruning pass, no sooner than something can expire (a quiet shard sleeps).
    const expiry = nextShardExpiry(sql, this.#retention());
    if (expiry !== null) candidates.push(Math.max(expiry, this.#pruneDueAt));
    if (typeof this.#alarmAt === 'number') candidates.push(this.#alarmAt);
    if (candidates.length === 0) return;
    this.#alarmAt = Math.max(Math.min(...candidates), now);
    await this.ctx.storage.setAlarm(this.#alarmAt);
  }

  async #execute(run: ClaimedRun): Promise<void> {
    const sql = this.ctx.storage.sql;
    const handler = handlers.get(run.handler);
    if (!handler) {
      finishRun(sql, run, { status: 'skipped', error: 'handler no longer registered' }, Date.now());
      return;
    }
    const log = this.#log.child({ event_id: run.event_id, handler: run.handler, attempt: run.attempt });
    try {
      await withTimeout(
        Promise.resolve(
          handler.run({
            event: { id: run.event_id, type: run.type, created_on: run.created_on, subject: run.subject },
            data: JSON.parse(run.data),
            envelope: JSON.parse(run.body),
            raw: run.body,
            env: this.env,
            log,
            attempt: run.attempt,
            replay: run.replay,
          }),
        ),
        handler.timeoutMs,
      );
      finishRun(sql, run, { status: 'done' }, Date.now());
    } catch (err) {
      const error = (err instanceof Error ? err.message : String(err)).slice(0, 300);
      const now = Date.now();
      if (run.attempt >= handler.maxAttempts) {
        log.warn('webhook handler dead-lettered', { error });
        finishRun(sql, run, { status: 'dead', error }, now);
      } else {
        log.info('webhook handler failed; will retry', { error });
        finishRun(sql, run, { status: 'pending', error, nextAt: now + retryDelayMs(run.attempt) }, now);
      }
    }
  }

  /** Pushes stale summaries to the catalogue; false when it could not (retried by alarm). */
  async #pushSummaries(): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    for (let batch = 0; batch < 10; batch++) {
      const stale = unindexed(sql, 200);
      if (stale.length === 0) return true;
      try {
        await inboxCatalogue(this.env).upsertSummaries(stale.map((s) => s.summary));
      } catch (err) {
        this.#log.warn('webhook catalogue update failed; will retry', { error: err });
        return false;
      }
      markIndexed(
        sql,
        stale.map((s) => ({ id: s.summary.id, version: s.version })),
      );
    }
    return unindexed(sql, 1).length === 0;
  }
}

/** Claimed runs grouped by subject, each group keeping the claim order (oldest event first). */
function bySubject(runs: readonly ClaimedRun[]): Map<string, ClaimedRun[]> {
  const groups = new Map<string, ClaimedRun[]>();
  for (const run of runs) {
    const own = groups.get(run.subject);
    if (own) own.push(run);
    else groups.set(run.subject, [run]);
  }
  return groups;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`handler timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
