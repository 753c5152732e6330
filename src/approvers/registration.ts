import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import type { Context } from 'hono';
import { base64url } from 'jose';
import { type AppEnv, BollardError } from '../http';
import { randomBase32 } from '../http/request-id';
import {
  approverOnThisHost,
  CEREMONY_TIMEOUT_MS,
  deriveChallenge,
  newChallenge,
  requestOptions,
} from './challenge';
import type { RegisterInput, RegistrationOptionsInput } from './input';
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
 * - `sponsored`: an existing approver must consent with their passkey, so that a stolen admin token
 *   cannot add its own approver (and then approve);
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
  /** For the sponsor's `navigator.credentials.get()`, when an existing approver must consent. */
  sponsor: PublicKeyCredentialRequestOptionsJSON | null;
  enrollment: Enrollment;
}

/**
 * `POST /admin/approvers/registration-options`: creation options for a new approver's passkey (user
 * verification required, a discoverable credential preferred, no attestation, the RP id this host), and
 * — once approvers exist — request options for the sponsor's consent, bound to this very registration.
 * Every registered passkey is excluded, so one authenticator cannot become a second approver.
 */
export async function registrationOptions(
  c: Context<AppEnv>,
  input: RegistrationOptionsInput,
  nowMs = Date.now(),
): Promise<RegistrationOptions> {
  const { rpId } = relyingParty(c);
  const store = approvers(c.env);
  const existing = await withApproversDeadline(store.list());
  const enrollment = enrollmentOf(c.env, existing.length);
  if (enrollment === 'sponsored' && input.sponsor_id === undefined)
    throw new BollardError('request_invalid', {
      codes: ['sponsor_id_invalid'],
      message: 'sponsor_id: an existing approver must consent to a new one with their passkey',
    });
  const sponsor =
    input.sponsor_id === undefined ? null : await approverOnThisHost(c.env, input.sponsor_id, rpId);
  const id = `apr_${randomBase32(26)}`;
  const row = await newChallenge('register', `${id}\n${input.name}`, id, rpId, nowMs);
  const sponsorRow = sponsor ? await newChallenge('enroll', row.challenge, sponsor.id, rpId, nowMs) : null;
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
  await withApproversDeadline(store.putChallenges(sponsorRow ? [row, sponsorRow] : [row], nowMs));
  return {
    approver_id: id,
    registration,
    sponsor: sponsor && sponsorRow ? await requestOptions(sponsor, sponsorRow) : null,
    enrollment,
  };
}

function registrationRefused(code: string, message: string): BollardError {
  return new BollardError('request_invalid', { codes: [code], message });
}

/**
 * `POST /admin/approvers`: verifies a new passkey against the registration challenge it answers (taken:
 * single use; the name must be the one the options were made for), from this origin and RP id, with user
 * verification; verifies the sponsor's consent when one is needed; and stores the approver. A passkey
 * already registered is a 409; a first registration that lost a race to another is a 403.
 */
export async function registerApprover(
  c: Context<AppEnv>,
  input: RegisterInput,
  nowMs = Date.now(),
): Promise<ApproverView> {
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

  const open = openEnrollment(c.env);
  if (input.sponsor)
    await verifyAssertion(
      c,
      input.sponsor.assertion,
      { purpose: 'enroll', subject: row.challenge, approverId: input.sponsor.approver_id },
      nowMs,
    );
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
  // Without a sponsor (and outside open enrollment) only a first approver may be added: the object checks.
  const added = await withApproversDeadline(store.add(record, { first: !input.sponsor && !open }));
  if (added === 'credential_exists')
    throw new BollardError('conflict', {
      codes: ['credential_already_registered'],
      message: 'this passkey is already an approver’s: each approver needs a passkey of their own',
    });
  if (added === 'not_first')
    throw new BollardError('forbidden', {
      codes: ['sponsor_required'],
      message: 'approvers exist: an existing approver must consent to a new one with their passkey',
    });
  c.get('log')?.info('approver.registered', {
    approver_id: record.id,
    sponsor_id: input.sponsor?.approver_id ?? null,
    enrollment: input.sponsor ? 'sponsored' : open ? 'open' : 'first',
  });
  return approverView(record);
}
