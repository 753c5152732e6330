/** `limit`/`skip` paging as the list endpoints take it (facts §4.9: 1..250 for disputes). */
export interface Page {
  limit: number;
  skip: number;
}

export interface PagingRules {
  defaultLimit: number;
  maxLimit: number;
}

/** Parses `limit` and `skip`; returns the error codes (`paging_limit_invalid`, `paging_skip_invalid`) instead. */
export function parsePage(query: URLSearchParams, rules: PagingRules): Page | string[] {
  const codes: string[] = [];
  const rawLimit = query.get('limit');
  const rawSkip = query.get('skip');
  const limit = rawLimit === null ? rules.defaultLimit : Number(rawLimit);
  const skip = rawSkip === null ? 0 : Number(rawSkip);
  if (!Number.isInteger(limit) || limit < 1 || limit > rules.maxLimit || rawLimit === '') {
    codes.push('paging_limit_invalid');
  }
  if (!Number.isInteger(skip) || skip < 0 || rawSkip === '') codes.push('paging_skip_invalid');
  return codes.length > 0 ? codes : { limit, skip };
}
