import type { Context } from 'hono';
import { type AppEnv, BollardError } from '../http';
import type { ApproverClaim, ApproverProof } from './types';

/** The approver id the development setting accepts with the admin token alone. */
export const DEV_APPROVER_ID = 'dev';

/**
 * Proves who is deciding an approval, bound to that approval (`approvalId`, `requestHash`). Until passkeys
 * land, only the documented development mode answers: `APPROVALS_ALLOW_ADMIN_TOKEN=true` and the admin
 * bearer token, as approver `dev`. Everything else is refused with `passkey_required`.
 */
export async function verifyApprover(
  c: Context<AppEnv>,
  _approvalId: string,
  _requestHash: string,
  claim: ApproverClaim,
): Promise<ApproverProof> {
  if (
    c.env.APPROVALS_ALLOW_ADMIN_TOKEN === 'true' &&
    c.get('adminVia') === 'token' &&
    claim.approver_id === DEV_APPROVER_ID
  )
    return {
      approver_id: DEV_APPROVER_ID,
      approver_name: 'Development approver (admin token)',
      credential_id: null,
      via: 'dev_bearer',
    };
  throw new BollardError('forbidden', {
    codes: ['passkey_required'],
    message: 'approving needs a registered approver’s passkey',
  });
}
