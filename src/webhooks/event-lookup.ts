import type { WebhookInbox } from './inbox-do';
import { inboxShardCount } from './shard';
import { inboxCatalogue, inboxShardAt, subjectInbox } from './stubs';

/** Shards asked at once when the catalogue does not know an id yet. */
const FAN_OUT = 64;

/**
 * The shard holding an event, by id alone, as soon as the event's delivery has been acknowledged.
 *
 * The catalogue knows an event only once its shard's alarm has pushed the summary (about a second after
 * the acknowledgement), and an event id says nothing about its subject, so a miss there asks every shard
 * whether it holds the id — in parallel, a primary-key read each, creating nothing. The receiver's path
 * stays at one durable write; the price is paid by the rare lookup of an id the catalogue has not caught
 * up with (or that does not exist): one small read per shard (`WEBHOOK_INBOX_SHARDS`, default 32).
 */
export async function locateEventShard(
  env: Env,
  id: string,
): Promise<DurableObjectStub<WebhookInbox> | null> {
  const subject = await inboxCatalogue(env).locate(id);
  if (subject !== null) return subjectInbox(env, subject);
  const shards = inboxShardCount(env);
  for (let start = 0; start < shards; start += FAN_OUT) {
    const indexes = Array.from({ length: Math.min(FAN_OUT, shards - start) }, (_, i) => start + i);
    const held = await Promise.all(indexes.map((i) => inboxShardAt(env, i).holds(id)));
    const at = held.indexOf(true);
    if (at >= 0) return inboxShardAt(env, start + at);
  }
  return null;
}
