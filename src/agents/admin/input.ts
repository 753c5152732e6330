import * as z from 'zod';
import { AREAS, entryByName } from '../../catalog';
import { BollardError, redactString } from '../../http';
import type { ApprovalPolicy } from '../model/approval-policy';
import { ALL_METHODS, VELOCITY_METHODS } from '../model/budgets';
import type { Scopes } from '../model/scope';
import type { CreateAgentInput, Grants, PatchAgentInput } from '../model/types';

const areaIds = AREAS.map((a) => a.id) as [string, ...string[]];
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in upper case');
const amounts = z.record(currency, z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

const grantsSchema = z.record(z.string(), z.enum(['read', 'write'])).superRefine((grants, ctx) => {
  for (const key of Object.keys(grants)) {
    if (!areaIds.includes(key))
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown area; one of ${areaIds.join(', ')}` });
  }
});

// Object scope (issue 18, scope-budgets): per area, `own` or `any`; an area left out takes its default.
const scopeSchema = z.record(z.string(), z.enum(['own', 'any'])).superRefine((scope, ctx) => {
  for (const key of Object.keys(scope)) {
    if (!areaIds.includes(key))
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown area; one of ${areaIds.join(', ')}` });
  }
});

// Budgets over time (issue 18): calls per hour, overall (`*`) or per money-moving method.
const velocitySchema = z
  .record(z.string(), z.number().int().nonnegative().max(1_000_000))
  .superRefine((caps, ctx) => {
    for (const key of Object.keys(caps)) {
      if (key !== ALL_METHODS && !VELOCITY_METHODS.includes(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `not a money-moving method; one of ${ALL_METHODS}, ${VELOCITY_METHODS.join(', ')}`,
        });
    }
  });

const limitsSchema = z.strictObject({
  max_amount_per_call: amounts.optional(),
  max_amount_per_day: amounts.optional(),
  currencies: z.array(currency).max(200).optional(),
  max_amount_per_7_days: amounts.optional(),
  max_amount_per_30_days: amounts.optional(),
  max_amount_lifetime: amounts.optional(),
  max_calls_per_hour: velocitySchema.optional(),
});

// ── approvals (docs/agents.md, "Approvals") ──
const approvalSchema = z
  .strictObject({
    at_or_over: amounts.optional(),
    methods: z
      .array(z.string().refine((m) => entryByName(m) !== undefined, 'not a catalog method'))
      .max(64)
      .optional(),
    all_money_moving: z.boolean().optional(),
    two_approvers_at_or_over: amounts.optional(),
    // At most a day: an approved call re-sent later than the upstream key's 24 hours would be a new call.
    ttl_seconds: z.number().int().min(60).max(86_400).optional(),
  })
  .superRefine((a, ctx) => {
    if (!a.at_or_over && !a.methods?.length && !a.all_money_moving && !a.two_approvers_at_or_over)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'name at least one of at_or_over, methods, all_money_moving, two_approvers_at_or_over',
      });
    for (const [currency, two] of Object.entries(a.two_approvers_at_or_over ?? {})) {
      const one = a.at_or_over?.[currency];
      if (one !== undefined && two < one)
        ctx.addIssue({
          code: 'custom',
          path: ['two_approvers_at_or_over', currency],
          message: 'must be at or over at_or_over for the same currency',
        });
    }
  });

const expiresSchema = z.iso.datetime({ offset: true }).nullable();

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  grants: grantsSchema,
  scope: scopeSchema.optional(),
  limits: limitsSchema.optional(),
  expires_at: expiresSchema.optional(),
  approval: approvalSchema.nullable().optional(),
});

const patchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    grants: grantsSchema.optional(),
    scope: scopeSchema.optional(),
    limits: limitsSchema.nullable().optional(),
    expires_at: expiresSchema.optional(),
    approval: approvalSchema.nullable().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to update' });

/**
 * A path segment as it may be named back: a key the caller chose (a grant's area, a currency, an unknown
 * field) only when it is a plain name, as it could be anything (a card number, a secret key).
 */
function segment(key: PropertyKey): string {
  const text = String(key);
  return typeof key === 'number' ||
    (/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(text) && redactString(text) === text)
    ? text
    : 'field';
}

/** One 422 naming every bad field (`grants.refunds_invalid` style codes: `<path>_invalid`). */
function invalid(error: z.ZodError): BollardError {
  const path = (i: z.core.$ZodIssue) => (i.path.length ? i.path.map(segment).join('.') : 'body');
  const fields = error.issues.map(path);
  const codes = [...new Set(fields.map((f) => `${f.replaceAll('.', '_')}_invalid`))];
  // zod's own text for unknown keys quotes them: name them here, plain ones only.
  const text = (i: z.core.$ZodIssue) =>
    i.code === 'unrecognized_keys' ? `unknown fields: ${i.keys.map(segment).join(', ')}` : i.message;
  const message = error.issues.map((i) => `${path(i)}: ${text(i)}`).join('; ');
  return new BollardError('request_invalid', { codes, message });
}

function normaliseExpiry(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? new Date(value).toISOString() : value;
}

/**
 * A new agent's input. An `expires_at` already past is refused (422 `expires_at_invalid`): such an agent
 * would get a key that can never work. An update may still set a past time, to end a key's validity now
 * (and a later update can extend it again, unlike a revocation).
 */
export function parseCreateAgent(body: unknown, nowMs: number = Date.now()): CreateAgentInput {
  const parsed = createSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const { name, grants, scope, limits, expires_at, approval } = parsed.data;
  if (typeof expires_at === 'string' && Date.parse(expires_at) <= nowMs)
    throw new BollardError('request_invalid', {
      codes: ['expires_at_invalid'],
      message: 'expires_at: must be in the future (a key that has already expired could never be used)',
    });
  return {
    name,
    grants: grants as Grants,
    scope: (scope ?? {}) as Scopes,
    limits: limits ?? {},
    expires_at: normaliseExpiry(expires_at) ?? null,
    approval: (approval as ApprovalPolicy | null | undefined) ?? null,
  };
}

export function parsePatchAgent(body: unknown): PatchAgentInput {
  const parsed = patchSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const out: PatchAgentInput = {};
  const p = parsed.data;
  if (p.name !== undefined) out.name = p.name;
  if (p.grants !== undefined) out.grants = p.grants as Grants;
  if (p.scope !== undefined) out.scope = p.scope as Scopes;
  if (p.limits !== undefined) out.limits = p.limits ?? {};
  if (p.expires_at !== undefined) out.expires_at = normaliseExpiry(p.expires_at) ?? null;
  if (p.approval !== undefined) out.approval = (p.approval as ApprovalPolicy | null) ?? null;
  return out;
}
