/**
 * A stand-in for the Workers Analytics Engine SQL API that answers exactly as Cloudflare documents it:
 *
 * - request: `POST https://api.cloudflare.com/client/v4/accounts/<account_id>/analytics_engine/sql`,
 *   `Authorization: Bearer <token>`, the query text as the body
 *   (https://developers.cloudflare.com/analytics/analytics-engine/sql-api/);
 * - answer to `FORMAT JSON`: one object `{ meta: [{ name, type }], data: [{ <column>: <value> }], rows }` —
 *   column metadata in select order, one object per row keyed by column name, and the row count
 *   (https://developers.cloudflare.com/analytics/analytics-engine/sql-reference/statements/#json,
 *   the API reference's `SqlQueryResponse { data, meta, rows }`:
 *   https://developers.cloudflare.com/api/resources/analytics_engine).
 *
 * Values are encoded as the engine's JSON output encodes them: `UInt64` (sums of `_sample_interval`) as
 * strings, `Float64` as numbers, and the NaN of an average or quantile over no rows as `null`. The columns
 * of each answer are the query's own `AS` aliases, so a renamed alias in the code shows up as a missing
 * value here, as it would against the real API.
 */

export interface SqlApiRequest {
  url: string;
  method: string;
  authorization: string | null;
  contentType: string | null;
  query: string;
}

export type SqlRow = Record<string, string | number | null>;

/** Canned rows per query kind, keyed by column alias; a missing alias is answered as `null`. */
export interface SqlApiData {
  totals: SqlRow;
  surfaces: SqlRow[];
  routes: SqlRow[];
  agents: SqlRow[];
}

const STRING_COLUMNS = new Set(['surface', 'method', 'route', 'agent_id']);
const UINT64_COLUMNS = new Set([
  'requests',
  's2xx',
  's3xx',
  's4xx',
  's5xx',
  'upstream_requests',
  'throttled',
  'upstream_failed',
]);

function typeOf(column: string): string {
  if (STRING_COLUMNS.has(column)) return 'String';
  return UINT64_COLUMNS.has(column) ? 'UInt64' : 'Float64';
}

/** The value as the engine writes it: UInt64 quoted, Float64 a number (or null for NaN), String a string. */
function encode(column: string, value: string | number | null | undefined): string | number | null {
  if (value === undefined || value === null) return typeOf(column) === 'Float64' ? null : '';
  if (typeOf(column) === 'UInt64') return String(value);
  if (typeOf(column) === 'Float64') return Number(value);
  return String(value);
}

/** The select list's aliases, in order (`… AS name, …`). */
function aliases(query: string): string[] {
  const select = query.slice(0, query.search(/\bFROM\b/));
  return [...select.matchAll(/\bAS\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
}

function kindOf(query: string): keyof SqlApiData {
  const group = /\bGROUP BY\s+([^\n]*?)(?:\s+ORDER BY|\s+FORMAT|$)/.exec(query)?.[1]?.trim() ?? '';
  if (group === '') return 'totals';
  if (group === 'surface') return 'surfaces';
  if (group === 'surface, method, route') return 'routes';
  if (group === 'agent_id') return 'agents';
  throw new Error(`the fake SQL API does not know GROUP BY ${group}`);
}

export interface FakeSqlApi {
  fetch: typeof fetch;
  requests: SqlApiRequest[];
}

/** The fake; `failWith` makes it answer that status with an error body instead. */
export function fakeSqlApi(
  accountId: string,
  data: SqlApiData,
  options: { failWith?: number } = {},
): FakeSqlApi {
  const requests: SqlApiRequest[] = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const request: SqlApiRequest = {
      url: String(input),
      method: init?.method ?? 'GET',
      authorization: headers.get('authorization'),
      contentType: headers.get('content-type'),
      query: String(init?.body ?? ''),
    };
    requests.push(request);
    const endpoint = `https://api.cloudflare.com/client/v4/accounts/${accountId}/analytics_engine/sql`;
    if (request.url !== endpoint || request.method !== 'POST')
      return new Response('not found', { status: 404 });
    if (!request.authorization?.startsWith('Bearer ')) return new Response('unauthorized', { status: 401 });
    if (options.failWith) {
      return new Response(`query failed: ${request.query.slice(0, 40)}`, { status: options.failWith });
    }
    const kind = kindOf(request.query);
    const columns = aliases(request.query);
    const source = kind === 'totals' ? [data.totals] : data[kind];
    const rows = source.map((r) => Object.fromEntries(columns.map((c) => [c, encode(c, r[c])])));
    return Response.json({
      meta: columns.map((name) => ({ name, type: typeOf(name) })),
      data: rows,
      rows: rows.length,
    });
  };
  return { fetch: impl as typeof fetch, requests };
}
