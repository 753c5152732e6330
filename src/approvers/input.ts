import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import * as z from 'zod';
import { BollardError } from '../http';

/** An approver's id: `apr_` and 26 base32 characters (130 random bits). */
export const APPROVER_ID = /^apr_[a-z2-7]{26}$/;

const b64url = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]+$/, 'base64url');
const transports = z.array(z.string().max(32)).max(10);
const extensions = z.record(z.string(), z.unknown());
const attachment = z.enum(['platform', 'cross-platform']);

/** A WebAuthn authentication response, as `PublicKeyCredential.toJSON()` gives it (WebAuthn L3 §5.1). */
const assertionSchema = z.object({
  id: b64url,
  rawId: b64url,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.optional(),
  }),
  clientExtensionResults: extensions.default({}),
  authenticatorAttachment: attachment.optional(),
});

/** A WebAuthn registration response, as `PublicKeyCredential.toJSON()` gives it. */
const registrationSchema = z.object({
  id: b64url,
  rawId: b64url,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: transports.optional(),
    authenticatorData: b64url.optional(),
    publicKey: b64url.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
  }),
  clientExtensionResults: extensions.default({}),
  authenticatorAttachment: attachment.optional(),
});

const name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');
const approverId = z.string().regex(APPROVER_ID, 'an approver id (apr_…)');

const registrationOptionsSchema = z.strictObject({ name });
const registerSchema = z.strictObject({ name, registration: registrationSchema });
const challengeSchema = z.strictObject({
  approver_id: approverId,
  purpose: z.enum(['sponsor', 'remove', 'test']),
});
const signedSchema = z.strictObject({ approver_id: approverId, assertion: assertionSchema });
const approvalChallengeSchema = z.object({ approver_id: approverId });

/** One 422 naming each bad field (`registration_response_invalid` style codes: `<path>_invalid`). */
function invalid(error: z.ZodError): BollardError {
  // Paths here are the schemas' own field names (strict objects refuse unknown ones without naming them back).
  const path = (i: z.core.$ZodIssue) =>
    i.path.length ? i.path.map((p) => (typeof p === 'symbol' ? 'field' : String(p))).join('.') : 'body';
  const codes = [...new Set(error.issues.map((i) => `${path(i).replaceAll('.', '_')}_invalid`))];
  const text = (i: z.core.$ZodIssue) => (i.code === 'unrecognized_keys' ? 'unknown fields' : i.message);
  const message = error.issues.map((i) => `${path(i)}: ${text(i)}`).join('; ');
  return new BollardError('request_invalid', { codes, message });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

export interface RegistrationOptionsInput {
  name: string;
}

export interface RegisterInput {
  name: string;
  registration: RegistrationResponseJSON;
}

export interface SignedInput {
  approver_id: string;
  assertion: AuthenticationResponseJSON;
}

export const parseRegistrationOptions = (body: unknown): RegistrationOptionsInput =>
  parse(registrationOptionsSchema, body);

export const parseRegister = (body: unknown): RegisterInput => parse(registerSchema, body);

export const parseChallengeRequest = (
  body: unknown,
): { approver_id: string; purpose: 'sponsor' | 'remove' | 'test' } => parse(challengeSchema, body);

/** `{ approver_id, assertion }`: a sponsor's or a removal's consent. */
export const parseSigned = (body: unknown): SignedInput => parse(signedSchema, body);

/** `{ approver_id }` (other fields are the approvals route's). */
export const parseApprovalChallenge = (body: unknown): { approver_id: string } =>
  parse(approvalChallengeSchema, body);

/** An assertion alone, e.g. `POST /admin/approvers/{id}/test`'s `assertion` or an approval's. */
export const parseAssertion = (value: unknown): AuthenticationResponseJSON =>
  parse(z.strictObject({ assertion: assertionSchema }), { assertion: value }).assertion;
