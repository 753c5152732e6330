import type {
  PublicKeyCredentialCreationOptionsJSON,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import type { Context } from 'hono';
import { base64url } from 'jose';
import { type AppEnv, BollardError } from '../http';
import { randomBase32 } from '../http/request-id';
import { CEREMONY_TIMEOUT_MS, CHALLENGE_TTL_MS, deriveChallenge, newChallenge } from './challenge';
import type { RegisterInput, RegistrationOptionsInput, SignedInput } from './input';
import { challengeOf, verifyAssertion } from './passkey';
import { relyingParty } from './relying-party';
import { withApproversDeadline } from './store';
import { approvers } from './stubs';
import { type ApproverRecord, type ApproverView, approverView } from './types';
import { webauthn } from './webauthn';

/** ES256 and RS256: what every platform authenticator and security key offers (WebAuthn §5.8.5). */
const ALGORITHMS = [-7, -257];

/**
 * Who may add an approver:
 * - `first`: there is none yet, so the admin credential alone registers the first one;
 * - `sponsored`: a new approver stays pending until an existing approver consents with their passkey,
 *   so that a stolen admin token cannot add its own approver (and then approve);
 * - `open`: `APPROVERS_OPEN_ENROLLMENT=true`, the break-glass setting for when every approver's passkey
 *   is lost (a deploy-time setting, out of an admin token's reach; docs/operations.md).
 */
export type Enrollment = 'first' | 'sponsored' | 'open';

export function openEnrollment(env: Env): boolean {
  return env.APPROVERS_OPEN_ENROLLMENT === 'true';
}

export function enrollmentOf(env: Env, approverCount: number): Enrollment {
  if (openEnrollment(env)) return 'open';
  return approverCount === 0 ? 'first' : 'sponsored';
}

export interface RegistrationOptions {
  /** The new approver's id, fixed now: it is the passkey's user handle. */
  approver_id: string;
  /** For `navigator.credentials.create()`. */
  registration: PublicKeyCredentialCreationOptionsJSON;
  /** How this registration completes: at once (`first`, `open`) or after a sponsor's consent. */
  enrollment: Enrollment;
}

/**
 * `POST /admin/approvers/registration-options`: creation options for a new approver's passkey (user
 * verification required, a discoverable credential preferred, no attestation, the RP id this host). Every
 * registered passkey is excluded, so one authenticator cannot become a second approver.
 */
export async function registrationOptions(
  c: Context<AppEnv>,
  input: RegistrationOptionsInput,
  nowMs = Date.now(),
): Promise<RegistrationOptions> {
  const { rpId } = relyingParty(c);
  const store = approvers(c.env);
  const existing = await withApproversDeadline(store.list());
  const id = `apr_${randomBase32(26)}`;
  const row = await newChallenge('register', `${id}\n${input.name}`, id, rpId, nowMs);
  const { generateRegistrationOptions } = await webauthn();
  const registration = await generateRegistrationOptions({
    rpName: 'Bollard approvals',
    rpID: rpId,
    userName: input.name,
    userDisplayName: input.name,
    userID: new Uint8Array(new TextEncoder().encode(id)),
    challenge: new Uint8Array(base64url.decode(row.challenge)),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing
      .filter((a) => a.rp_id === rpId)
      .map((a) => ({ id: a.credential_id, transports: a.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  await withApproversDeadline(store.putChallenges([row], nowMs));
  return { approver_id: id, registration, enrollment: enrollmentOf(c.env, existing.length) };
}

function registrationRefused(code: string, message: string): BollardError {
  return new BollardError('request_invalid', { codes: [code], message });
}

/** A registration's answer: the approver, active, or waiting for a sponsor's consent. */
export type Registered =
  | { status: 'active'; approver: ApproverView }
  | { status: 'awaiting_sponsor'; approver: ApproverView; expires_at: string };

/**
 * `POST /admin/approvers`: verifies a new passkey against the registration challenge it answers (taken:
 * single use; the name must be the one the options were made for), from this origin and RP id, with user
 * verification, and stores the approver: active when it is the first one (or enrollment is open), else
 * pending for five minutes until an existing approver consents (`consentToApprover`). A passkey already
 * registered is a 409.
 */
export async function registerApprover(
  c: Context<AppEnv>,
  input: RegisterInput,
  nowMs = Date.now(),
): Promise<Registered> {
  const { rpId, origin } = relyingParty(c);
  const store = approvers(c.env);
  const challenge = challengeOf(input.registration.response.clientDataJSON);
  const row = challenge === null ? null : await withApproversDeadline(store.takeChallenge(challenge, nowMs));
  if (row?.purpose !== 'register' || row.rp_id !== rpId)
    throw registrationRefused(
      'challenge_invalid',
      'the passkey answered a registration challenge that is unknown, used or expired: start again',
    );
  if (
    row.subject !== `${row.approver_id}\n${input.name}` ||
    row.challenge !== (await deriveChallenge(row.purpose, row.subject, row.nonce))
  )
    throw registrationRefused('name_invalid', 'name: not the name the registration options were made for');

  const { verifyRegistrationResponse } = await webauthn();
  let verified: VerifiedRegistrationResponse;
  try {
    verified = await verifyRegistrationResponse({
      response: input.registration,
      expectedChallenge: row.challenge,
      expectedOrigin: origin,
      expectedRPID: rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (err) {
    c.get('log')?.warn('approver.registration_invalid', {
      reason: err instanceof Error ? err.message : 'unknown',
    });
    throw registrationRefused(
      'registration_invalid',
      'the passkey registration did not verify (it must come from this origin, with user verification)',
    );
  }
  if (!verified.verified || !verified.registrationInfo.userVerified)
    throw registrationRefused('registration_invalid', 'the passkey registration did not verify');

  const info = verified.registrationInfo;
  const record: ApproverRecord = {
    id: row.approver_id,
    name: input.name,
    credential_id: info.credential.id,
    public_key: info.credential.publicKey,
    counter: info.credential.counter,
    transports: input.registration.response.transports ?? info.credential.transports ?? [],
    rp_id: rpId,
    device_type: info.credentialDeviceType,
    backed_up: info.credentialBackedUp,
    created_at: nowMs,
    last_used_at: null,
  };
  const open = openEnrollment(c.env);
  // Without consent only a first approver is active at once: the object checks, atomically. Anyone else
  // waits for a sponsor.
  let added = await withApproversDeadline(store.add(record, { first: !open, pendingUntil: null }, nowMs));
  const pendingUntil = nowMs + CHALLENGE_TTL_MS;
  if (added === 'not_first')
    added = await withApproversDeadline(store.add(record, { first: false, pendingUntil }, nowMs));
  if (added === 'credential_exists')
    throw new BollardError('conflict', {
      codes: ['credential_already_registered'],
      message: 'this passkey is already an approver’s: each approver needs a passkey of their own',
    });
  const view = approverView(record);
  if (added === 'pending') {
    c.get('log')?.info('approver.awaiting_sponsor', { approver_id: record.id });
    return { status: 'awaiting_sponsor', approver: view, expires_at: new Date(pendingUntil).toISOString() };
  }
  c.get('log')?.info('approver.registered', { approver_id: record.id, enrollment: open ? 'open' : 'first' });
  return { status: 'active', approver: view };
}

/** What a sponsor's consent is bound to: the pending approver and the very passkey it registered. */
export function sponsorSubject(pending: ApproverRecord): string {
  return `${pending.id}\n${pending.credential_id}`;
}

/** The pending approver `id`, or 404 `approver_not_found` (never registered, or its five minutes passed). */
export async function pendingApprover(env: Env, id: string, nowMs: number): Promise<ApproverRecord> {
  const pending = await withApproversDeadline(approvers(env).getPending(id, nowMs));
  if (!pending)
    throw new BollardError('not_found', {
      codes: ['approver_not_found'],
      message:
        'no approver is waiting for consent under this id (the window is five minutes): register again',
    });
  return pending;
}

/**
 * `POST /admin/approvers/{id}/sponsor`: an existing approver consents, with their passkey, to the pending
 * approver `id` and the passkey it registered (the challenge names both); the approver becomes active.
 */
export async function consentToApprover(
  c: Context<AppEnv>,
  id: string,
  input: SignedInput,
  nowMs = Date.now(),
): Promise<ApproverView> {
  const pending = await pendingApprover(c.env, id, nowMs);
  await verifyAssertion(
    c,
    input.assertion,
    { purpose: 'sponsor', subject: sponsorSubject(pending), approverId: input.approver_id },
    nowMs,
  );
  if (!(await withApproversDeadline(approvers(c.env).activate(id, nowMs))))
    throw new BollardError('not_found', {
      codes: ['approver_not_found'],
      message: 'the approver’s consent window passed before the consent arrived: register again',
    });
  c.get('log')?.info('approver.registered', {
    approver_id: id,
    enrollment: 'sponsored',
    sponsor_id: input.approver_id,
  });
  return approverView(pending);
}
