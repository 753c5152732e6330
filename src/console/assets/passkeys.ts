/**
 * `/admin/console/passkeys.js`: the browser half of WebAuthn, by hand (no library): the server's options
 * JSON (base64url fields) to the `ArrayBuffer`s `navigator.credentials` takes, and its answers back to the
 * JSON the server verifies (`PublicKeyCredential.toJSON()`'s shape, which not every browser has yet).
 * Errors the browser raises become sentences an operator can act on.
 */
export const PASSKEYS_JS = String.raw`
export function fromB64url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

export function toB64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptor = (c) => Object.assign({}, c, { id: fromB64url(c.id) });

/** Why a ceremony failed, in words (the DOMException names of WebAuthn §5.1.3 and §5.1.4). */
function explain(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError')
    return new Error('The passkey was not used: the prompt was cancelled or timed out, or the authenticator could not verify you (a PIN, fingerprint or face is required, not just a touch).');
  if (name === 'InvalidStateError')
    return new Error('This authenticator already holds an approver’s passkey: each approver needs a passkey of their own.');
  if (name === 'SecurityError')
    return new Error('The browser refused passkeys on this address: open the console at its host name (localhost, not 127.0.0.1) over HTTPS or on localhost.');
  if (name === 'NotSupportedError')
    return new Error('This authenticator cannot make a passkey Bollard accepts (ES256 or RS256, with user verification).');
  return err instanceof Error ? err : new Error(String(err));
}

function supported() {
  if (!window.PublicKeyCredential || !navigator.credentials)
    throw new Error('This browser does not support passkeys.');
}

/**
 * Runs one WebAuthn ceremony (run: navigator.credentials.create or .get) and gives its credential as the
 * JSON the server's library reads: the fields both ceremonies share, and the response fields of its own.
 */
async function ceremony(run, publicKey, response) {
  let cred;
  try {
    cred = await run({ publicKey });
  } catch (err) {
    throw explain(err);
  }
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    response: response(cred.response),
    clientExtensionResults: cred.getClientExtensionResults(),
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
  };
}

/** navigator.credentials.create() with the server's creation options; the registration response as JSON. */
export async function createPasskey(options) {
  supported();
  const publicKey = Object.assign({}, options, {
    challenge: fromB64url(options.challenge),
    user: Object.assign({}, options.user, { id: fromB64url(options.user.id) }),
    excludeCredentials: (options.excludeCredentials || []).map(descriptor),
  });
  return ceremony((o) => navigator.credentials.create(o), publicKey, (r) => ({
    clientDataJSON: toB64url(r.clientDataJSON),
    attestationObject: toB64url(r.attestationObject),
    transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
  }));
}

/** navigator.credentials.get() with the server's request options; the authentication response as JSON. */
export async function getPasskey(options) {
  supported();
  const publicKey = Object.assign({}, options, {
    challenge: fromB64url(options.challenge),
    allowCredentials: (options.allowCredentials || []).map(descriptor),
  });
  return ceremony((o) => navigator.credentials.get(o), publicKey, (r) => ({
    clientDataJSON: toB64url(r.clientDataJSON),
    authenticatorData: toB64url(r.authenticatorData),
    signature: toB64url(r.signature),
    userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
  }));
}
`;
