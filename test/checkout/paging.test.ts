import { describe, expect, it } from 'vitest';
import { CheckoutError, paginate } from '../../src/checkout';
import { attemptsOf, clientFor, scriptRun } from './helpers';

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

function pagesRequested(urls: string[]): Array<[number, number]> {
  return urls.map((u) => {
    const q = new URL(u).searchParams;
    return [Number(q.get('limit')), Number(q.get('skip'))];
  });
}

describe('paginate', () => {
  it('walks limit/skip and stops exactly at total_count (no extra request)', async () => {
    const run = await scriptRun([{ list: { items: 7 } }]);
    const { client } = clientFor(run);
    const items = await collect(paginate<{ id: string }>(client, 'listDisputes', { pageSize: 3 }));
    expect(items.map((i) => i.id)).toEqual(Array.from({ length: 7 }, (_, i) => `item_${i}`));
    const seen = await attemptsOf(run);
    expect(pagesRequested(seen.map((a) => a.url))).toEqual([
      [3, 0],
      [3, 3],
      [3, 6],
    ]);
  });

  it('stops after the last full page when total_count is a multiple of the page size', async () => {
    const run = await scriptRun([{ list: { items: 6 } }]);
    const { client } = clientFor(run);
    expect(await collect(paginate(client, 'listDisputes', { pageSize: 3 }))).toHaveLength(6);
    expect(await attemptsOf(run)).toHaveLength(2);
  });

  it('makes one request for an empty list', async () => {
    const run = await scriptRun([{ list: { items: 0 } }]);
    const { client } = clientFor(run);
    expect(await collect(paginate(client, 'listDisputes'))).toEqual([]);
    expect(await attemptsOf(run)).toHaveLength(1);
  });

  it('sends the filters with every page', async () => {
    const run = await scriptRun([{ list: { items: 4 } }]);
    const { client } = clientFor(run);
    await collect(paginate(client, 'listDisputes', { pageSize: 2, query: { statuses: 'won,lost' } }));
    for (const a of await attemptsOf(run))
      expect(new URL(a.url).searchParams.get('statuses')).toBe('won,lost');
  });

  it('stops on an empty page when the server claims more than it has', async () => {
    const run = await scriptRun([{ list: { items: 5, reportedTotal: 1000 } }]);
    const { client } = clientFor(run);
    const items = await collect(paginate(client, 'listDisputes', { pageSize: 2 }));
    expect(items).toHaveLength(5);
    // pages at skip 0, 2, 4 (one item), then 5: empty, stop.
    expect(pagesRequested((await attemptsOf(run)).map((a) => a.url))).toEqual([
      [2, 0],
      [2, 2],
      [2, 4],
      [2, 5],
    ]);
  });

  it('yields no more than total_count when the server claims fewer than it returns', async () => {
    const run = await scriptRun([{ list: { items: 10, reportedTotal: 3 } }]);
    const { client } = clientFor(run);
    const items = await collect(paginate(client, 'listDisputes', { pageSize: 4 }));
    expect(items).toHaveLength(3);
    expect(await attemptsOf(run)).toHaveLength(1);
  });

  it('without total_count, stops on a short page', async () => {
    const run = await scriptRun([{ list: { items: 5, reportedTotal: null } }]);
    const { client } = clientFor(run);
    expect(await collect(paginate(client, 'listDisputes', { pageSize: 2 }))).toHaveLength(5);
    expect(await attemptsOf(run)).toHaveLength(3);
  });

  it('stops at maxItems whatever the server says', async () => {
    const run = await scriptRun([{ list: { items: 100 } }]);
    const { client } = clientFor(run);
    const items = await collect(paginate(client, 'listDisputes', { pageSize: 4, maxItems: 10 }));
    expect(items).toHaveLength(10);
    expect(pagesRequested((await attemptsOf(run)).map((a) => a.url)).at(-1)).toEqual([2, 8]);
  });

  it('can stop early: the consumer breaking out makes no further request', async () => {
    const run = await scriptRun([{ list: { items: 50 } }]);
    const { client } = clientFor(run);
    for await (const item of paginate<{ id: string }>(client, 'listDisputes', { pageSize: 5 })) {
      if (item.id === 'item_6') break;
    }
    expect(await attemptsOf(run)).toHaveLength(2);
  });

  it('retries a failed page like any read, and surfaces a final failure as a CheckoutError', async () => {
    const run = await scriptRun([{ status: 500 }, { list: { items: 2 } }]);
    const { client } = clientFor(run);
    expect(await collect(paginate(client, 'listDisputes'))).toHaveLength(2);
    const bad = await scriptRun([{ json: { not: 'a page' } }]);
    const err = await collect(paginate(clientFor(bad).client, 'listDisputes')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckoutError);
    expect((err as CheckoutError).code).toBe('unexpected_response');
  });

  it('rejects a page size outside 1-250', async () => {
    const run = await scriptRun([{ list: { items: 1 } }]);
    const { client } = clientFor(run);
    await expect(collect(paginate(client, 'listDisputes', { pageSize: 0 }))).rejects.toThrow(/pageSize/);
    await expect(collect(paginate(client, 'listDisputes', { pageSize: 251 }))).rejects.toThrow(/pageSize/);
  });
});
