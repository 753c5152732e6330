import * as z from 'zod';
import type * as zm from 'zod/mini';

/**
 * A classic zod schema with the same definition as a `zod/mini` one, for the OpenAPI generator only
 * (`route-docs.ts`): `@hono/zod-openapi` reads classic schemas (`.openapi()`, `.meta()`), while the request
 * path validates with `zod/mini` to keep classic zod out of the Worker's main module. Both share zod's core
 * definitions, so the copy validates alike; its checks are the very same objects, and constructing it
 * re-attaches them, which files their `meta` (descriptions, examples) under the copy too. Covers the kinds
 * `schemas.ts` uses; any other throws, so a schema the document cannot describe fails its test.
 */
export function classic(schema: zm.ZodMiniType): z.ZodType {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const make = (Ctor: unknown, extra: Record<string, unknown> = {}): z.ZodType =>
    new (Ctor as new (d: unknown) => z.ZodType)({ ...def, ...extra });
  switch (def.type) {
    case 'string': {
      const format = def.format as string | undefined;
      if (format === undefined) return make(z.ZodString);
      if (format === 'email') return make(z.ZodEmail);
      if (format === 'url') return make(z.ZodURL);
      throw new Error(`classic(): string format ${format} is not mapped`);
    }
    case 'number':
      return make(def.format === undefined ? z.ZodNumber : z.ZodNumberFormat);
    case 'unknown':
      return make(z.ZodUnknown);
    case 'never':
      return make(z.ZodNever);
    case 'optional':
      return make(z.ZodOptional, { innerType: classic(def.innerType as zm.ZodMiniType) });
    case 'object': {
      const shape = def.shape as Record<string, zm.ZodMiniType>;
      const catchall = def.catchall as zm.ZodMiniType | undefined;
      return make(z.ZodObject, {
        shape: Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, classic(v)])),
        catchall: catchall && classic(catchall),
      });
    }
    default:
      throw new Error(`classic(): zod type ${def.type} is not mapped`);
  }
}
