/**
 * Development credentials, in the real Checkout.com formats, shared by the simulator and by `npm start`.
 * They only ever work against the local simulator: the real API has never issued them.
 */
export const DEV_CREDENTIALS = {
  /** Secret key with every scope the catalog names (and the workflows scope). */
  secretKey: 'sk_sbox_devsecretkeyfullaccessaaaaq',
  /** Secret key for the storefront surface: only `gateway:payment` and `gateway:payment-details`. */
  storefrontSecretKey: 'sk_sbox_devstorefrontkeyaaaaaaaaaaq',
  /** Public key: reaches `POST /tokens` and nothing else. */
  publicKey: 'pk_sbox_devpublickeyaaaaaaaaaaaaaaq',
  /** OAuth client (access key id + secret) allowed every scope. */
  oauthClientId: 'ack_devoauthclientaaaaaaaaaaaa',
  oauthClientSecret: 'dev-oauth-client-secret',
  /** Guards the simulator's `/_sim/*` control plane. */
  simAdminKey: 'sim_admin_dev',
  /** Bollard's operator token for `/admin/*` in development. */
  adminToken: 'bollard_admin_dev',
  /** The signing key of the webhook workflow `npm start` registers on the simulator. */
  webhookSigningKey: 'whsec_dev_bollard_local_signing_key',
} as const;
