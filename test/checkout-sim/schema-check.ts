/**
 * A small OpenAPI 3.0 schema check for the swagger conformance test: `$ref`, `allOf`, `oneOf`/`anyOf`,
 * discriminator mappings, `required`, basic types, arrays and nested properties. Enums are not checked:
 * the 2021 document's enums predate values the API returns today.
 */
export type Schema = Record<string, unknown>;

export interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>
  >;
  components: { schemas: Record<string, Schema> };
}

export function responseSchema(doc: OpenApiDoc, path: string, method: string, status: string): Schema {
  const schema = doc.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`no schema for ${method.toUpperCase()} ${path} ${status}`);
  return schema;
}

function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`unresolved ${ref}`);
  return target;
}

function typeOk(type: unknown, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

/** Returns the problems found (empty when the value conforms). */
export function check(
  doc: OpenApiDoc,
  raw: Schema,
  value: unknown,
  at = '$',
  seen = new Set<Schema>(),
): string[] {
  const schema = resolve(doc, raw);
  if (value === null && schema.nullable === true) return [];
  const errors: string[] = [];
  const discriminator = schema.discriminator as
    | { propertyName: string; mapping?: Record<string, string> }
    | undefined;
  if (discriminator && typeof value === 'object' && value !== null && !seen.has(schema)) {
    const key = (value as Record<string, unknown>)[discriminator.propertyName];
    const mapped = typeof key === 'string' ? discriminator.mapping?.[key] : undefined;
    if (mapped) {
      const target = resolve(doc, { $ref: mapped });
      if (target !== schema) errors.push(...check(doc, target, value, at, new Set([...seen, schema])));
    }
  }
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
    if (!seen.has(resolve(doc, part)))
      errors.push(...check(doc, part, value, at, new Set([...seen, schema])));
  }
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives && !alternatives.some((alt) => check(doc, alt, value, at, seen).length === 0)) {
    errors.push(`${at}: matches none of the alternatives`);
  }
  if (schema.type !== undefined && !typeOk(schema.type, value)) {
    errors.push(`${at}: expected ${String(schema.type)}`);
    return errors;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const field of (schema.required as string[] | undefined) ?? []) {
      if (obj[field] === undefined) errors.push(`${at}.${field}: required`);
    }
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [field, sub] of Object.entries(props)) {
      if (obj[field] !== undefined) errors.push(...check(doc, sub, obj[field], `${at}.${field}`, seen));
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      errors.push(...check(doc, schema.items as Schema, item, `${at}[${i}]`, seen));
    });
  }
  return errors;
}
