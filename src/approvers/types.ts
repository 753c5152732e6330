/**
 * Who approved or declined an agent's call, as the approval records it. `passkey`: a WebAuthn assertion
 * with user verification from a registered approver; `dev_bearer`: the admin token alone, only where
 * `APPROVALS_ALLOW_ADMIN_TOKEN=true` (development).
 */
export interface ApproverProof {
  approver_id: string;
  approver_name: string;
  /** The passkey's credential id (base64url), or null for the dev bearer approval. */
  credential_id: string | null;
  via: 'passkey' | 'dev_bearer';
}

/** What an approve or decline request carries besides its decision. */
export interface ApproverClaim {
  approver_id: string;
  /** A WebAuthn authentication response (JSON), for a passkey approver. */
  assertion?: unknown;
}
