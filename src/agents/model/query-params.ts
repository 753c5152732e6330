import { BollardError } from '../../http';

/** Reads `limit`/`skip` as Checkout.com pages do; a bad value is a 422 naming the field. */
export function paging(url: URL, defaultLimit = 50, maxLimit = 1000): { limit: number; skip: number } {
  return {
    limit: intParam(url, 'limit', defaultLimit, 1, maxLimit),
    skip: intParam(url, 'skip', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new BollardError('request_invalid', {
      codes: [`paging_${name}_invalid`],
      message: `${name} must be an integer between ${min} and ${max}`,
    });
  return n;
}

/** An ISO 8601 time parameter as ms since the epoch, or undefined when absent. */
export function timeParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms))
    throw new BollardError('request_invalid', {
      codes: [`${name}_invalid`],
      message: `${name} must be an ISO 8601 time`,
    });
  return ms;
}

/** A parameter restricted to a closed set of values. */
export function enumParam<T extends string>(url: URL, name: string, values: readonly T[]): T | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (!(values as readonly string[]).includes(raw))
    throw new BollardError('request_invalid', {
      codes: [`${name}_invalid`],
      message: `${name} must be one of ${values.join(', ')}`,
    });
  return raw as T;
}
