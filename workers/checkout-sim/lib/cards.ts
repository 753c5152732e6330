/**
 * The sandbox test cards (facts §5) and what they do. A card that is not listed but passes the Luhn check
 * is approved, like an unknown card in the sandbox.
 */
export interface CardOutcome {
  approved: boolean;
  responseCode: string;
  responseSummary: string;
}

const APPROVED: CardOutcome = { approved: true, responseCode: '10000', responseSummary: 'Approved' };

/** Decline triggers from the sandbox test-card page. */
const DECLINES: Readonly<Record<string, readonly [string, string]>> = {
  '4544249167673670': ['20051', 'Insufficient Funds'],
  '4724117215951699': ['20054', 'Expired Card'],
  '4485381577182090': ['20014', 'Invalid Card Number'],
  '4111111111111129': ['20001', 'Refer to card issuer'],
  '4024007103573027': ['20012', 'Invalid Transaction'],
  '4897453568485113': ['20059', 'Suspected Fraud'],
  '4818924250131070': ['20062', 'Restricted Card'],
  '4556253752712245': ['20063', 'Security Violation'],
  '4734868958733862': ['200N7', 'Decline for CVV2 failure'],
  '4095254802642505': ['20068', 'Response received too late'],
};

/** The documented approving cards (number → cvv). */
export const APPROVING_CARDS: Readonly<Record<string, string>> = {
  '4242424242424242': '100',
  '4543474002249996': '956',
  '5436031030606378': '257',
};

/** Test-card numbers shown on the hosted pages. */
export const DECLINING_CARDS: readonly string[] = Object.keys(DECLINES);

export function cardOutcome(number: string): CardOutcome {
  const decline = DECLINES[number];
  return decline ? { approved: false, responseCode: decline[0], responseSummary: decline[1] } : APPROVED;
}

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The public facts about a card, as token, instrument and payment `source` objects show them. */
export interface CardSummary {
  expiry_month: number;
  expiry_year: number;
  name?: string;
  scheme: string;
  last4: string;
  bin: string;
  fingerprint: string;
  card_type: string;
  card_category: string;
  issuer: string;
  issuer_country: string;
  product_id: string;
  product_type: string;
}

function scheme(number: string): string {
  if (number.startsWith('4')) return 'VISA';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'MASTERCARD';
  if (/^3[47]/.test(number)) return 'AMEX';
  if (/^6(011|5)/.test(number)) return 'DISCOVER';
  return 'UNKNOWN';
}

/** A stable, non-reversible fingerprint (FNV-1a over the number with eight seeds); synchronous on purpose. */
function fingerprint(number: string): string {
  let out = '';
  for (let seed = 0; seed < 8; seed++) {
    let h = (0x811c9dc5 ^ (seed * 0x9e3779b1)) >>> 0;
    for (let i = 0; i < number.length; i++) {
      h ^= number.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

export function summarizeCard(number: string, month: number, year: number, name?: string): CardSummary {
  return {
    expiry_month: month,
    expiry_year: year,
    ...(name ? { name } : {}),
    scheme: scheme(number),
    last4: number.slice(-4),
    bin: number.slice(0, 6),
    fingerprint: fingerprint(number),
    card_type: 'CREDIT',
    card_category: 'CONSUMER',
    issuer: 'SIM BANK',
    issuer_country: 'GB',
    product_id: 'F',
    product_type: 'CLASSIC',
  };
}

/** Raw card fields, as `POST /tokens` or a `card` payment source takes them. */
export interface CardInput {
  number: string;
  expiry_month: number;
  expiry_year: number;
  cvv?: string;
  name?: string;
}

/**
 * Validates raw card fields; returns the card or the error codes naming each bad field.
 */
export function parseCard(body: Record<string, unknown>, nowMs: number): CardInput | string[] {
  const codes: string[] = [];
  const rawNumber = body.number;
  const number = typeof rawNumber === 'string' ? rawNumber.replace(/[\s-]/g, '') : '';
  if (typeof rawNumber !== 'string' || rawNumber.length === 0) codes.push('card_number_required');
  else if (!luhnValid(number)) codes.push('card_number_invalid');
  const month = body.expiry_month;
  const year = body.expiry_year;
  const monthOk = Number.isInteger(month) && (month as number) >= 1 && (month as number) <= 12;
  const yearOk = Number.isInteger(year) && (year as number) >= 1000 && (year as number) <= 9999;
  if (month === undefined) codes.push('card_expiry_month_required');
  else if (!monthOk) codes.push('card_expiry_month_invalid');
  if (year === undefined) codes.push('card_expiry_year_required');
  else if (!yearOk) codes.push('card_expiry_year_invalid');
  if (monthOk && yearOk) {
    const now = new Date(nowMs);
    const current = now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
    if ((year as number) * 12 + (month as number) < current) codes.push('card_expired');
  }
  const cvv = body.cvv;
  if (cvv !== undefined && (typeof cvv !== 'string' || !/^\d{3,4}$/.test(cvv))) codes.push('cvv_invalid');
  const name = body.name;
  if (name !== undefined && (typeof name !== 'string' || name.length > 255))
    codes.push('card_holder_name_invalid');
  if (codes.length > 0) return codes;
  return {
    number,
    expiry_month: month as number,
    expiry_year: year as number,
    ...(typeof cvv === 'string' ? { cvv } : {}),
    ...(typeof name === 'string' ? { name } : {}),
  };
}
