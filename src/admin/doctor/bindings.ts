import { type DoctorCheck, fail, pass } from './types';

/**
 * The names of every binding `Env` declares that is a KV namespace, a Durable Object namespace or an R2
 * bucket. Derived from the generated `Env`, so the record below stops compiling when a binding is added or
 * removed. `-?`: an optional member (src/env.d.ts) would otherwise put `undefined` among the names.
 */
type BindingName = {
  [K in keyof Env]-?: Env[K] extends { getWithMetadata: unknown }
    ? K
    : Env[K] extends { idFromName: unknown }
      ? K
      : Env[K] extends { createMultipartUpload: unknown }
        ? K
        : never;
}[keyof Env];

type BindingKind = 'KV namespace' | 'Durable Object' | 'R2 bucket';

const BINDINGS: Record<BindingName, BindingKind> = {
  OAUTH_TOKENS: 'KV namespace',
  TOKEN_REFRESHER: 'Durable Object',
  RATE_GOVERNOR: 'Durable Object',
  STOREFRONT_GUARD: 'Durable Object',
  WEBHOOK_INBOX: 'Durable Object',
  AGENT: 'Durable Object',
  AGENT_DIRECTORY: 'Durable Object',
  AUDIT_INDEX: 'Durable Object',
  APPROVERS: 'Durable Object',
  AUDIT_ARCHIVE: 'R2 bucket',
};

function hasMethod(value: unknown, method: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[method] === 'function'
  );
}

/** Every declared binding is bound, and of the right kind (a misnamed binding in wrangler.toml is absent). */
export function bindingsCheck(env: Env): DoctorCheck {
  const record = env as unknown as Record<string, unknown>;
  const missing: string[] = [];
  for (const [name, kind] of Object.entries(BINDINGS) as [BindingName, BindingKind][]) {
    const ok =
      kind === 'KV namespace'
        ? hasMethod(record[name], 'get')
        : kind === 'R2 bucket'
          ? hasMethod(record[name], 'createMultipartUpload')
          : hasMethod(record[name], 'idFromName');
    if (!ok) missing.push(`${name} (${kind})`);
  }
  const names = Object.keys(BINDINGS);
  if (missing.length === 0) {
    return pass('bindings', `all ${names.length} bound: ${names.join(', ')}`);
  }
  return fail(
    'bindings',
    `not bound: ${missing.join(', ')}`,
    'declare them in wrangler.toml ([[kv_namespaces]] with a real id, [[durable_objects.bindings]] plus a migration, [[r2_buckets]]) and deploy again',
  );
}
