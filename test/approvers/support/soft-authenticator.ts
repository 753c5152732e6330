import { cbor } from './cbor';

/**
 * A software WebAuthn authenticator (ES256, `none` attestation) for tests that talk to the approvers' API
 * without a browser: it answers creation and request options as a browser with a platform authenticator
 * would, and can be told to misbehave (no user verification, another origin, a counter that goes back).
 * Runs on WebCrypto, so in workerd and in Node alike.
 */

export const b64url = {
  encode(bytes: Uint8Array): string {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  },
  decode(text: string): Uint8Array {
    const s = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
    return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  },
};

const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const sha256 = async (bytes: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));

const u32 = (n: number) => new Uint8Array([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

/** An ECDSA signature as WebCrypto gives it (r‖s) in the ASN.1 DER form WebAuthn requires for ES256. */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = bytes.slice(i);
    if ((v[0] ?? 0) & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string };
}

export interface RequestOptions {
  challenge: string;
  rpId?: string;
}

export interface Misbehaviour {
  /** The UV flag off: a touch, no PIN or biometric. */
  noUserVerification?: boolean;
  origin?: string;
  /** Sign with this counter instead of the next one. */
  counter?: number;
  /** Sign this challenge instead of the one asked. */
  challenge?: string;
}

export class SoftAuthenticator {
  readonly credentialId: Uint8Array;
  #keys: CryptoKeyPair;
  #counter: number;

  private constructor(keys: CryptoKeyPair, credentialId: Uint8Array, counter: number) {
    this.#keys = keys;
    this.credentialId = credentialId;
    this.#counter = counter;
  }

  static async create(options: { counter?: number } = {}): Promise<SoftAuthenticator> {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    return new SoftAuthenticator(keys, crypto.getRandomValues(new Uint8Array(16)), options.counter ?? 0);
  }

  /**
   * An existing credential, e.g. one a browser's virtual authenticator holds (DevTools `WebAuthn.getCredentials`
   * gives its PKCS#8 private key), so a test can sign what that browser never would.
   */
  static async fromPkcs8(
    pkcs8: Uint8Array,
    credentialId: Uint8Array,
    counter: number,
  ): Promise<SoftAuthenticator> {
    const privateKey = await crypto.subtle.importKey(
      'pkcs8',
      new Uint8Array(pkcs8),
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign'],
    );
    // The public half is not needed to sign assertions.
    return new SoftAuthenticator({ privateKey, publicKey: privateKey }, credentialId, counter);
  }

  get id(): string {
    return b64url.encode(this.credentialId);
  }

  async #authData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Promise<Uint8Array> {
    return concat(
      await sha256(new TextEncoder().encode(rpId)),
      new Uint8Array([flags]),
      u32(counter),
      attested ?? new Uint8Array(),
    );
  }

  /** As `navigator.credentials.create()` + `toJSON()` on `origin`. */
  async register(options: CreationOptions, origin: string, bad: Misbehaviour = {}) {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const jwk = (await crypto.subtle.exportKey('jwk', this.#keys.publicKey)) as JsonWebKey;
    const cose = cbor(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, b64url.decode(jwk.x ?? '')],
        [-3, b64url.decode(jwk.y ?? '')],
      ]),
    );
    const attested = concat(
      new Uint8Array(16),
      new Uint8Array([this.credentialId.length >> 8, this.credentialId.length & 0xff]),
      this.credentialId,
      cose,
    );
    const flags = UP | AT | (bad.noUserVerification ? 0 : UV);
    const authData = await this.#authData(rpId, flags, this.#counter, attested);
    const clientData = new TextEncoder().encode(
      JSON.stringify({
        type: 'webauthn.create',
        challenge: bad.challenge ?? options.challenge,
        origin: bad.origin ?? origin,
        crossOrigin: false,
      }),
    );
    const attestationObject = cbor(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url.encode(clientData),
        attestationObject: b64url.encode(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** As `navigator.credentials.get()` + `toJSON()` on `origin`. */
  async assert(options: RequestOptions, origin: string, bad: Misbehaviour = {}) {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const counter = bad.counter ?? ++this.#counter;
    const flags = UP | (bad.noUserVerification ? 0 : UV);
    const authData = await this.#authData(rpId, flags, counter);
    const clientData = new TextEncoder().encode(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: bad.challenge ?? options.challenge,
        origin: bad.origin ?? origin,
        crossOrigin: false,
      }),
    );
    const signed = concat(authData, await sha256(clientData));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.#keys.privateKey, signed),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url.encode(clientData),
        authenticatorData: b64url.encode(authData),
        signature: b64url.encode(derSignature(raw)),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}
