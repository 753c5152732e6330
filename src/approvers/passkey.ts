import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'hono';
import { base64url } from 'jose';
import { type AppEnv, BollardError } from '../http';
import { deriveChallenge } from './challenge';
import { relyingParty } from './relying-party';
import { withApproversDeadline } from './store';
import { approvers } from './stubs';
import type { ApproverRecord, ChallengePurpose } from './types';
import { webauthn } from './webauthn';

/** Why an assertion was refused: each is a second error code after `approver_verification_failed`. */
export type AssertionFailure =
  | 'challenge_invalid'
  | 'challenge_mismatch'
  | 'approver_not_found'
  | 'credential_mismatch'
  | 'user_verification_required'
  | 'signature_invalid'
  | 'counter_invalid';

const MESSAGES: Record<AssertionFailure, string> = {
  challenge_invalid: 'the passkey answered a challenge that is unknown, used or expired: ask for a new one',
  challenge_mismatch: 'the passkey answered a challenge issued for something else',
  approver_not_found: 'no approver has this id',
  credential_mismatch: 'the passkey is not this approver’s',
  user_verification_required:
    'the passkey did not verify the person (a PIN, fingerprint or face is required, not just a touch)',
  signature_invalid: 'the passkey’s answer did not verify',
  counter_invalid: 'the passkey’s signature counter went back: it may have been cloned, so it is refused',
};

/**
 * A refusal: 403, never 401 (that would mean the admin credential is wrong, and sign the console out).
 * The admin credential is fine; the approver's proof is not.
 */
export function assertionRefused(reason: AssertionFailure, c?: Context<AppEnv>): BollardError {
  c?.get('log')?.warn('approver.assertion_refused', { reason });
  return new BollardError('forbidden', {
    codes: ['approver_verification_failed', reason],
    message: MESSAGES[reason],
  });
}

/** `clientDataJSON.challenge` of a response, or null when it cannot be read. */
export function challengeOf(clientDataJSON: string): string | null {
  try {
    const data = JSON.parse(new TextDecoder().decode(base64url.decode(clientDataJSON))) as unknown;
    const challenge = (data as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && challenge.length > 0 ? challenge : null;
  } catch {
    return null;
  }
}

/**
 * Whether authenticator data carries the UV flag (bit 2 of the flags byte after the 32-byte RP id hash;
 * WebAuthn §6.1). Read before the signature check so that a passkey that only proved presence gets its own
 * reason, `user_verification_required`.
 */
export function userVerifiedFlag(authenticatorData: string): boolean {
  try {
    const bytes = base64url.decode(authenticatorData);
    return bytes.length > 32 && ((bytes[32] ?? 0) & 0x04) !== 0;
  } catch {
    return false;
  }
}

/** The signature counter in authenticator data (bytes 33–36, big-endian), or null when too short. */
export function signCountOf(authenticatorData: string): number | null {
  try {
    const bytes = base64url.decode(authenticatorData);
    if (bytes.length < 37) return null;
    return new DataView(bytes.buffer, bytes.byteOffset + 33, 4).getUint32(0);
  } catch {
    return null;
  }
}

export interface AssertionExpectation {
  purpose: ChallengePurpose;
  /** What the challenge must have been issued for (challenge.ts). */
  subject: string;
  /** Whose passkey must have signed. */
  approverId: string;
}

/**
 * Verifies a WebAuthn assertion from a registered approver's passkey, answering one challenge Bollard
 * issued for exactly `expect` (purpose, subject, approver): the challenge is taken (single use: a refused
 * answer spends it too), the passkey must be the approver's, signed for this host's RP id from this origin,
 * with user verification, and its counter must move forward. Returns the approver as it was before this use.
 * Every refusal is a 403 `approver_verification_failed` with the reason as a second code.
 */
export async function verifyAssertion(
  c: Context<AppEnv>,
  assertion: AuthenticationResponseJSON,
  expect: AssertionExpectation,
  nowMs = Date.now(),
): Promise<ApproverRecord> {
  const { rpId, origin } = relyingParty(c);
  const store = approvers(c.env);
  const challenge = challengeOf(assertion.response.clientDataJSON);
  if (challenge === null) throw assertionRefused('challenge_invalid', c);
  const row = await withApproversDeadline(store.takeChallenge(challenge, nowMs));
  if (!row) throw assertionRefused('challenge_invalid', c);
  if (
    row.purpose !== expect.purpose ||
    row.subject !== expect.subject ||
    row.approver_id !== expect.approverId ||
    row.rp_id !== rpId ||
    row.challenge !== (await deriveChallenge(row.purpose, row.subject, row.nonce))
  )
    throw assertionRefused('challenge_mismatch', c);
  const approver = await withApproversDeadline(store.get(expect.approverId));
  if (!approver) throw assertionRefused('approver_not_found', c);
  if (assertion.id !== approver.credential_id || assertion.rawId !== approver.credential_id)
    throw assertionRefused('credential_mismatch', c);
  if (!userVerifiedFlag(assertion.response.authenticatorData))
    throw assertionRefused('user_verification_required', c);
  // A counter must move forward unless the authenticator does not count at all (0 before and after).
  const signCount = signCountOf(assertion.response.authenticatorData) ?? 0;
  if ((signCount > 0 || approver.counter > 0) && signCount <= approver.counter)
    throw assertionRefused('counter_invalid', c);
  const { verifyAuthenticationResponse } = await webauthn();
  let counter: number;
  try {
    const result = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: row.challenge,
      expectedOrigin: origin,
      expectedRPID: approver.rp_id,
      expectedType: 'webauthn.get',
      credential: {
        id: approver.credential_id,
        publicKey: new Uint8Array(approver.public_key),
        counter: approver.counter,
        transports: approver.transports,
      },
      requireUserVerification: true,
    });
    if (!result.verified || !result.authenticationInfo.userVerified) throw new Error('not verified');
    counter = result.authenticationInfo.newCounter;
  } catch (err) {
    // The library's reason names origins and challenges, never key material: useful in the log.
    c.get('log')?.warn('approver.assertion_invalid', {
      reason: err instanceof Error ? err.message : 'unknown',
    });
    throw assertionRefused('signature_invalid', c);
  }
  const recorded = await withApproversDeadline(
    store.recordUse(approver.id, approver.credential_id, counter, nowMs),
  );
  if (!recorded) throw assertionRefused('counter_invalid', c);
  return approver;
}
