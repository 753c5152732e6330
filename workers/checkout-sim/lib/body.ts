import type { Context } from 'hono';
import type { SimHonoEnv } from './context';
import { ckoError } from './errors';

export type JsonObject = Record<string, unknown>;

/**
 * The request's JSON object body. An empty body is `{}` (captures and voids may be sent without one);
 * anything that is not a JSON object gets 400 `request_malformed`.
 */
export async function jsonBody(c: Context<SimHonoEnv>): Promise<JsonObject | Response> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return parsed;
  } catch {
    // fall through to the error below
  }
  return ckoError(c, 400, 'request_malformed', ['request_body_invalid']);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** ISO-8601 UTC, as the API writes timestamps. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** JSON column helpers: SQLite stores objects as text. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function fromJson<T>(value: string | null | undefined): T | undefined {
  return value ? (JSON.parse(value) as T) : undefined;
}

export const CURRENCY = /^[A-Z]{3}$/;

/** Validates the common money fields. `amountRequired` false lets an absent amount through. */
export function moneyCodes(body: JsonObject, amountRequired: boolean): string[] {
  const codes: string[] = [];
  if (body.amount === undefined) {
    if (amountRequired) codes.push('amount_required');
  } else if (!Number.isSafeInteger(body.amount) || (body.amount as number) < 0) codes.push('amount_invalid');
  if (body.currency === undefined) codes.push('currency_required');
  else if (typeof body.currency !== 'string' || !CURRENCY.test(body.currency)) codes.push('currency_invalid');
  if (body.reference !== undefined && (typeof body.reference !== 'string' || body.reference.length > 50)) {
    codes.push('reference_invalid');
  }
  return codes;
}

/** http(s) URL of at most 1024 characters (the limit of success/failure/return URLs). */
export function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 1024) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
