import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Context } from 'hono';
import { base64url } from 'jose';
import { type AppEnv, BollardError } from '../http';
import { parseApprovalChallenge } from './input';
import { relyingParty } from './relying-party';
import { withApproversDeadline } from './store';
import { approvers } from './stubs';
import type { ApproverRecord, ChallengePurpose, ChallengeRow } from './types';
import { webauthn } from './webauthn';

/** How long a challenge may be answered: long enough to find a security key or a phone, no longer. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
/** The browser's own timeout for the ceremony (WebAuthn `timeout`), inside the challenge's life. */
export const CEREMONY_TIMEOUT_MS = 3 * 60_000;

/**
 * `base64url(sha256(purpose \n subject \n nonce))`: the challenge commits to what it is for. The nonce
 * makes each one unique; the subject (for an approval: its id and the request hash it covers) means an
 * assertion kept with the decision shows, to anyone holding the approver's public key, which exact request
 * that person signed for.
 */
export async function deriveChallenge(
  purpose: ChallengePurpose,
  subject: string,
  nonce: string,
): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`${purpose}\n${subject}\n${nonce}`),
  );
  return base64url.encode(new Uint8Array(digest));
}

/** A fresh challenge row for `approverId` to answer, bound to `subject`. */
export async function newChallenge(
  purpose: ChallengePurpose,
  subject: string,
  approverId: string,
  rpId: string,
  nowMs: number,
): Promise<ChallengeRow> {
  const nonce = base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
  return {
    challenge: await deriveChallenge(purpose, subject, nonce),
    purpose,
    subject,
    nonce,
    approver_id: approverId,
    rp_id: rpId,
    expires_at: nowMs + CHALLENGE_TTL_MS,
  };
}

/** The subject an approval's challenge is bound to. */
export function approvalSubject(approvalId: string, requestHash: string): string {
  return `${approvalId}\n${requestHash}`;
}

/** The request options for one approver's passkey, over a stored challenge: user verification required. */
export async function requestOptions(
  approver: ApproverRecord,
  row: ChallengeRow,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await webauthn();
  return generateAuthenticationOptions({
    rpID: row.rp_id,
    allowCredentials: [{ id: approver.credential_id, transports: approver.transports }],
    challenge: new Uint8Array(base64url.decode(row.challenge)),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: 'required',
  });
}

/**
 * A registered approver who can sign on this host: 404 `approver_not_found`, or 403
 * `passkey_rp_mismatch` when the passkey belongs to another host (it could never sign here).
 */
export async function approverOnThisHost(
  env: Env,
  approverId: string,
  rpId: string,
): Promise<ApproverRecord> {
  const approver = await withApproversDeadline(approvers(env).get(approverId));
  if (!approver)
    throw new BollardError('not_found', {
      codes: ['approver_not_found'],
      message: 'no approver has this id',
    });
  if (approver.rp_id !== rpId)
    throw new BollardError('forbidden', {
      codes: ['passkey_rp_mismatch'],
      message: `this approver’s passkey is registered for ${approver.rp_id}: open the console there, or register the approver again here`,
    });
  return approver;
}

/** Issues and stores a challenge for `approverId`'s passkey, and answers its request options. */
export async function issueChallenge(
  c: Context<AppEnv>,
  purpose: ChallengePurpose,
  subject: string,
  approverId: string,
  nowMs = Date.now(),
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpId } = relyingParty(c);
  const approver = await approverOnThisHost(c.env, approverId, rpId);
  const row = await newChallenge(purpose, subject, approverId, rpId, nowMs);
  await withApproversDeadline(approvers(c.env).putChallenges([row], nowMs));
  return requestOptions(approver, row);
}

/**
 * `POST /admin/approvals/{id}/challenge` `{ approver_id }`: the WebAuthn request options with which that
 * approver's passkey signs for this approval — its challenge bound to the approval id and the request hash
 * it covers, single-use, for five minutes. The approvals route looks the approval up (and refuses one that
 * is no longer pending), then calls this; `verifyApprover` checks the answer.
 */
export function approvalChallenge(
  c: Context<AppEnv>,
  approvalId: string,
  requestHash: string,
  body: unknown,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { approver_id } = parseApprovalChallenge(body);
  return issueChallenge(c, 'approve', approvalSubject(approvalId, requestHash), approver_id);
}
