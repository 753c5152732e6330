import type * as z from 'zod/mini';
import { BollardError, redactString } from '../http';

/**
 * A caller's unknown key is named back only when it is a plain field name: a key can carry anything (a
 * card number, a secret key), and an error code must stay machine-readable.
 */
function nameable(key: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(key) && redactString(key) === key;
}

/** The value at `path` in `input`, or undefined when any step of the path is absent. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Turns zod issues into the one error shape, one code per bad field in Checkout.com's style
 * (`amount_invalid`, `billing_address_country_required`, `processing_channel_id_not_allowed`). The
 * message names the fields by their dotted path. Input values are never echoed (they may be card data), nor
 * unknown keys that are not plain field names (`field_not_allowed` instead).
 */
export function issuesToError(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  where = 'body',
): BollardError {
  const codes = new Set<string>();
  const fields = new Set<string>();
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        if (!nameable(key)) {
          codes.add(`${[...path, 'field'].join('_')}_not_allowed`);
          fields.add(`${path.length ? `${path.join('.')}: ` : ''}a field that is not accepted`);
          continue;
        }
        const full = [...path, key];
        codes.add(`${full.join('_')}_not_allowed`);
        fields.add(`${full.join('.')} (not accepted)`);
      }
      continue;
    }
    const name = path.length ? path.join('_') : where;
    // A missing key is an invalid_type whose input is absent. Read from the input, not from the message:
    // zod/mini carries no English messages ("Invalid input" for every issue).
    const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
    codes.add(`${name}_${missing ? 'required' : 'invalid'}`);
    fields.add(`${path.length ? path.join('.') : where}${missing ? ' (required)' : ''}`);
  }
  return new BollardError('request_invalid', {
    codes: [...codes],
    message: `invalid ${where}: ${[...fields].join(', ')}`,
  });
}
