/**
 * Which inbox object holds a subject's events. Subjects (payment, dispute or event ids) are spread over
 * a fixed number of shards by a stable hash, so every delivery of one event — and every event of one
 * subject — reaches the same object, while the number of objects stays bounded (creating a SQLite-backed
 * object is the expensive step; see docs/webhooks.md).
 */

/** Shards when `WEBHOOK_INBOX_SHARDS` is not set. */
export const DEFAULT_INBOX_SHARDS = 32;
/** Upper bound accepted from configuration (more buys nothing but object-creation cost). */
export const MAX_INBOX_SHARDS = 4096;

const encoder = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes of `text`: stable across runtimes, synchronous, well spread. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The configured shard count; a missing, malformed or out-of-range value falls back to the default. */
export function inboxShardCount(env: Env): number {
  const raw = env.WEBHOOK_INBOX_SHARDS;
  if (raw === undefined || !/^\d{1,4}$/.test(raw.trim())) return DEFAULT_INBOX_SHARDS;
  const n = Number(raw.trim());
  return n >= 1 && n <= MAX_INBOX_SHARDS ? n : DEFAULT_INBOX_SHARDS;
}

/** The shard index (0 ≤ i < shards) of a subject. */
export function inboxShard(subject: string, shards: number): number {
  return fnv1a32(subject) % shards;
}

/** The Durable Object name of the shard holding `subject`: `shard:<i>`. */
export function inboxShardName(subject: string, shards: number): string {
  return shardNameAt(inboxShard(subject, shards));
}

/** The Durable Object name of shard i. */
export function shardNameAt(index: number): string {
  return `shard:${index}`;
}
