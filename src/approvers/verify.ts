import type { Context } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { approvalSubject } from './challenge';
import { APPROVER_ID, parseAssertion } from './input';
import { verifyAssertion } from './passkey';
import type { ApproverClaim, ApproverProof } from './types';

/** The approver id the development setting accepts with the admin token alone. */
export const DEV_APPROVER_ID = 'dev';

function passkeyRequired(): BollardError {
  return new BollardError('forbidden', {
    codes: ['passkey_required'],
    message: 'approving needs a registered approver’s passkey',
  });
}

/**
 * Proves who is deciding an approval, bound to that approval (`approvalId`, `requestHash`): a WebAuthn
 * assertion from the named approver's passkey, with user verification, answering the challenge
 * `POST /admin/approvals/{id}/challenge` issued for exactly this approval id and request hash (single use,
 * five minutes; src/approvers/passkey.ts). The admin credential that reached the route is not enough on its
 * own: a stolen admin token cannot approve. The one exception is the documented development mode:
 * `APPROVALS_ALLOW_ADMIN_TOKEN=true` and the admin bearer token, as approver `dev` (the doctor fails the
 * setting outside development).
 *
 * Refusals are 403s (never 401, which would sign the console out): `passkey_required` without an
 * assertion, else `approver_verification_failed` and the reason.
 */
export async function verifyApprover(
  c: Context<AppEnv>,
  approvalId: string,
  requestHash: string,
  claim: ApproverClaim,
): Promise<ApproverProof> {
  if (claim.approver_id === DEV_APPROVER_ID) {
    if (c.env.APPROVALS_ALLOW_ADMIN_TOKEN === 'true' && c.get('adminVia') === 'token')
      return {
        approver_id: DEV_APPROVER_ID,
        approver_name: 'Development approver (admin token)',
        credential_id: null,
        via: 'dev_bearer',
      };
    throw passkeyRequired();
  }
  if (!APPROVER_ID.test(claim.approver_id))
    throw new BollardError('request_invalid', {
      codes: ['approver_id_invalid'],
      message: 'approver_id: an approver id (apr_…)',
    });
  if (claim.assertion === undefined || claim.assertion === null) throw passkeyRequired();
  const assertion = parseAssertion(claim.assertion);
  const approver = await verifyAssertion(c, assertion, {
    purpose: 'approve',
    subject: approvalSubject(approvalId, requestHash),
    approverId: claim.approver_id,
  });
  return {
    approver_id: approver.id,
    approver_name: approver.name,
    credential_id: approver.credential_id,
    via: 'passkey',
  };
}
