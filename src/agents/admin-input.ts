import * as z from 'zod';
import { AREAS } from '../catalog';
import { BollardError } from '../http';
import type { AgentLimits, Grants } from './types';

const areaIds = AREAS.map((a) => a.id) as [string, ...string[]];
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in upper case');
const amounts = z.record(currency, z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

const grantsSchema = z.record(z.string(), z.enum(['read', 'write'])).superRefine((grants, ctx) => {
  for (const key of Object.keys(grants)) {
    if (!areaIds.includes(key))
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown area; one of ${areaIds.join(', ')}` });
  }
});

const limitsSchema = z.strictObject({
  max_amount_per_call: amounts.optional(),
  max_amount_per_day: amounts.optional(),
  currencies: z.array(currency).max(200).optional(),
});

const expiresSchema = z.iso.datetime({ offset: true }).nullable();

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  grants: grantsSchema,
  limits: limitsSchema.optional(),
  expires_at: expiresSchema.optional(),
});

const patchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    grants: grantsSchema.optional(),
    limits: limitsSchema.nullable().optional(),
    expires_at: expiresSchema.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to update' });

export interface CreateAgentInput {
  name: string;
  grants: Grants;
  limits: AgentLimits;
  expires_at: string | null;
}

export interface PatchAgentInput {
  name?: string;
  grants?: Grants;
  limits?: AgentLimits;
  expires_at?: string | null;
}

/** One 422 naming every bad field (`grants.refunds_invalid` style codes: `<path>_invalid`). */
function invalid(error: z.ZodError): BollardError {
  const fields = error.issues.map((i) => (i.path.length ? i.path.join('.') : 'body'));
  const codes = [...new Set(fields.map((f) => `${f.replaceAll('.', '_')}_invalid`))];
  const message = error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
  return new BollardError('request_invalid', { codes, message });
}

function normaliseExpiry(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? new Date(value).toISOString() : value;
}

export function parseCreateAgent(body: unknown): CreateAgentInput {
  const parsed = createSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const { name, grants, limits, expires_at } = parsed.data;
  return {
    name,
    grants: grants as Grants,
    limits: limits ?? {},
    expires_at: normaliseExpiry(expires_at) ?? null,
  };
}

export function parsePatchAgent(body: unknown): PatchAgentInput {
  const parsed = patchSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const out: PatchAgentInput = {};
  const p = parsed.data;
  if (p.name !== undefined) out.name = p.name;
  if (p.grants !== undefined) out.grants = p.grants as Grants;
  if (p.limits !== undefined) out.limits = p.limits ?? {};
  if (p.expires_at !== undefined) out.expires_at = normaliseExpiry(p.expires_at) ?? null;
  return out;
}
