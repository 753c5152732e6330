/**
 * The WebAuthn library (@simplewebauthn/server and its ASN.1/X.509 dependencies: about 330 KiB minified),
 * loaded on the first passkey ceremony only. It is bundled into the operator module all the same, but
 * evaluated on demand, so the console's other pages, and the test pool that loads the operator module from
 * source, do not pay for it.
 */
type WebAuthn = typeof import('@simplewebauthn/server');

let loading: Promise<WebAuthn> | null = null;

export function webauthn(): Promise<WebAuthn> {
  loading ??= import('@simplewebauthn/server');
  loading.catch(() => {
    loading = null;
  });
  return loading;
}
