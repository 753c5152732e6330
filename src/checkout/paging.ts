import type { CatalogEntry } from '../catalog';
import { resolveEntry } from './client';
import type { CallOptions, CheckoutClient } from './contract';
import { CheckoutError } from './errors';

export interface PaginateOptions {
  /** Filters sent with every page (`limit` and `skip` are the iterator's). */
  query?: CallOptions['query'];
  /** Items per page, 1-250 (Checkout.com's limit range for list endpoints; default 50). */
  pageSize?: number;
  /**
   * Hard stop, whatever `total_count` claims (default 10 000): a server that keeps reporting more items
   * than it returns must not keep a Worker walking forever.
   */
  maxItems?: number;
  signal?: AbortSignal;
  params?: CallOptions['params'];
}

interface Page<T> {
  data: T[];
  totalCount: number | undefined;
}

function readPage<T>(entry: CatalogEntry, body: unknown, status: number, attempts: number): Page<T> {
  const b =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  if (!b || !Array.isArray(b.data)) {
    throw new CheckoutError('unexpected_response', {
      entry,
      upstreamStatus: status,
      requestId: null,
      errorType: null,
      errorCodes: [],
      attempts,
      idempotencyKey: null,
    });
  }
  const total = b.total_count;
  return {
    data: b.data as T[],
    totalCount: typeof total === 'number' && Number.isInteger(total) && total >= 0 ? total : undefined,
  };
}

/**
 * Walks a `limit`/`skip` list endpoint (`listDisputes`, `listPayments`) item by item, as the guide says:
 * "walk forward until it has read every item". It stops when `skip` reaches `total_count`, on an empty
 * page, on a short page when the server gives no `total_count`, and at `maxItems` — so a server that lies
 * about `total_count` in either direction ends the walk instead of looping.
 *
 * @example
 * for await (const d of paginate<Dispute>(client, 'listDisputes', { query: { statuses: 'evidence_required' } })) { ... }
 */
export async function* paginate<T = unknown>(
  client: CheckoutClient,
  entryOrName: CatalogEntry | string,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const entry = resolveEntry(entryOrName);
  const pageSize = options.pageSize ?? 50;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 250) {
    throw new TypeError('pageSize must be an integer from 1 to 250');
  }
  const maxItems = options.maxItems ?? 10_000;
  let skip = 0;
  while (skip < maxItems) {
    const limit = Math.min(pageSize, maxItems - skip);
    const res = await client.call(entry, {
      params: options.params,
      query: { ...options.query, limit, skip },
      signal: options.signal,
    });
    const page = readPage<T>(entry, res.body, res.status, res.attempts);
    if (page.data.length === 0) return;
    // Never yield past what the server says exists, nor past the cap.
    const room = Math.min(maxItems, page.totalCount ?? Number.POSITIVE_INFINITY) - skip;
    const items = page.data.slice(0, Math.max(0, room));
    yield* items;
    skip += items.length;
    if (page.totalCount !== undefined ? skip >= page.totalCount : page.data.length < limit) return;
  }
}
