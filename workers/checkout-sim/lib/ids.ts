const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function random(alphabet: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** A Checkout.com-style id: prefix + 26 lowercase base32 chars (`pay_`, `act_`, `evt_`, ...). */
export function newId(prefix: string): string {
  return `${prefix}_${random(BASE32, 26)}`;
}

/** Payment-session ids are `ps_` + 27 mixed-case alphanumerics (KSUID-like). */
export function newPaymentSessionId(): string {
  return `ps_${random(ALNUM, 27)}`;
}

/** Payment-link ids are `pl_` + 12 url-safe chars. */
export function newPaymentLinkId(): string {
  return `pl_${random(ALNUM, 12)}`;
}
