/**
 * The R2 side of the audit archive: write-once puts and listing. A put is conditional on the key not
 * existing (`onlyIf: { etagDoesNotMatch: '*' }`, R2's `If-None-Match: *`), so nothing Bollard writes ever
 * replaces an object; a bucket lock rule (docs/operations.md, "Audit archive") keeps anyone else from it.
 */

export type PutOnce = 'written' | 'exists' | 'conflict';

/**
 * Writes `body` at `key` unless an object is there. An object already there with the same bytes (a run that
 * stopped after writing it) is `exists`; with other bytes, `conflict` (and it is left as it is).
 */
export async function putOnce(
  bucket: R2Bucket,
  key: string,
  body: string,
  contentType: string,
  sha256: string,
): Promise<PutOnce> {
  const put = await bucket.put(key, body, {
    onlyIf: { etagDoesNotMatch: '*' },
    httpMetadata: { contentType },
    // R2 checks the upload against it: what lands is what was hashed into the head.
    sha256,
  });
  if (put !== null) return 'written';
  const existing = await bucket.get(key);
  if (existing === null) return 'conflict';
  return (await existing.text()) === body ? 'exists' : 'conflict';
}

/** The last key under `prefix` after `startAfter` (keys list in lexicographic order), or null. */
export async function lastKeyAfter(
  bucket: R2Bucket,
  prefix: string,
  startAfter: string | undefined,
): Promise<string | null> {
  let last: string | null = null;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({
      prefix,
      limit: 1000,
      ...(cursor ? { cursor } : startAfter ? { startAfter } : {}),
    });
    last = page.objects.at(-1)?.key ?? last;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return last;
}

export async function getText(bucket: R2Bucket, key: string): Promise<string | null> {
  const obj = await bucket.get(key);
  return obj === null ? null : obj.text();
}
