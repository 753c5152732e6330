import type { WebhookInbox } from './inbox-do';
import { inboxShardCount, inboxShardName, shardNameAt } from './shard';

/**
 * The one module that names `WEBHOOK_INBOX` objects (docs/storage.md). One class, two roles by name:
 * the catalogue, and the shards that hold each subject's events (shard.ts maps a subject to its shard).
 */

/** The name of the one catalogue object (operator listing and quarantine). */
const CATALOGUE = 'catalogue';

/** The catalogue: a summary row per event across subjects, and the quarantine. */
export function inboxCatalogue(env: Env): DurableObjectStub<WebhookInbox> {
  return env.WEBHOOK_INBOX.getByName(CATALOGUE);
}

/**
 * The inbox object holding an event's subject (payment, dispute, or the event itself): the subject's
 * shard, `shard:<fnv1a(subject) mod WEBHOOK_INBOX_SHARDS>`, shared with the other subjects that hash there.
 */
export function subjectInbox(env: Env, subject: string): DurableObjectStub<WebhookInbox> {
  return env.WEBHOOK_INBOX.getByName(inboxShardName(subject, inboxShardCount(env)));
}

/** Shard `index` (0 ≤ index < `inboxShardCount(env)`), for what walks every shard rather than one subject's. */
export function inboxShardAt(env: Env, index: number): DurableObjectStub<WebhookInbox> {
  return env.WEBHOOK_INBOX.getByName(shardNameAt(index));
}
