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

/** An approver as the `Approvers` object stores it: a named person and their one passkey. */
export interface ApproverRecord {
  id: string;
  name: string;
  /** The WebAuthn credential id, base64url. Unique: one passkey is never two approvers. */
  credential_id: string;
  /** The COSE public key the authenticator registered. */
  public_key: Uint8Array;
  /** The authenticator's signature counter as last seen (0 for passkeys that do not count). */
  counter: number;
  transports: string[];
  /** The relying party id (host) the passkey was registered for: it signs for that host only. */
  rp_id: string;
  /** `singleDevice` (a security key, a device-bound passkey) or `multiDevice` (a synced passkey). */
  device_type: string;
  backed_up: boolean;
  created_at: number;
  last_used_at: number | null;
}

/** An approver as the admin API shows it: no key material. */
export interface ApproverView {
  id: string;
  name: string;
  credential_id: string;
  transports: string[];
  rp_id: string;
  device_type: string;
  backed_up: boolean;
  created_at: string;
  last_used_at: string | null;
}

/**
 * What a WebAuthn challenge was issued for. Each is single-use and short-lived, and the challenge itself
 * is `base64url(sha256(purpose \n subject \n nonce))`, so an assertion over it can be tied to its subject
 * offline too (challenge.ts).
 */
export type ChallengePurpose = 'register' | 'sponsor' | 'approve' | 'remove' | 'test';

export interface ChallengeRow {
  /** base64url, as the browser echoes it in `clientDataJSON.challenge`. */
  challenge: string;
  purpose: ChallengePurpose;
  /**
   * What the challenge is bound to: `approve` — `<approval id>\n<request hash>`; `register` — the new
   * approver's id and name (`<id>\n<name>`); `sponsor` — the pending approver and its passkey
   * (`<id>\n<credential id>`); `remove` — the approver to remove; `test` — the approver.
   */
  subject: string;
  /** base64url random bytes mixed into the challenge. */
  nonce: string;
  /** Who must answer it: the approver whose passkey signs (empty for `register`: the new passkey). */
  approver_id: string;
  rp_id: string;
  expires_at: number;
}

export function approverView(r: ApproverRecord): ApproverView {
  return {
    id: r.id,
    name: r.name,
    credential_id: r.credential_id,
    transports: r.transports,
    rp_id: r.rp_id,
    device_type: r.device_type,
    backed_up: r.backed_up,
    created_at: new Date(r.created_at).toISOString(),
    last_used_at: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
  };
}
