/**
 * Redaction for anything that may reach a log line or an error message. Payment systems leak through
 * logs more than through responses; this is the last line of defence, not the first.
 */

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Checkout.com keys: sk_/pk_ (sandbox and live), legacy sk_test_<uuid>, OAuth access key ids/secrets.
  [/\b(sk|pk)_(sbox_|test_)?[A-Za-z0-9*#$=-]{8,}/g, '$1_[REDACTED]'],
  [/\back_[a-z0-9]{8,}/g, 'ack_[REDACTED]'],
  // Bollard agent keys and admin tokens.
  [/\bbak_[A-Za-z0-9_-]{8,}/g, 'bak_[REDACTED]'],
  // Bearer/Basic credentials in header-like text.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [REDACTED]'],
  // JWTs (OAuth access tokens, order tokens).
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[REDACTED_JWT]'],
  // Card tokens and payment-session secrets.
  [/\btok_[a-z0-9]{8,}/g, 'tok_[REDACTED]'],
  [/\bpss_[0-9a-f-]{8,}/g, 'pss_[REDACTED]'],
  // Primary account numbers: 13-19 digits, optionally grouped by spaces or dashes.
  [/\b(?:\d[ -]?){12,18}\d\b/g, '[REDACTED_PAN]'],
];

const SENSITIVE_KEYS =
  /^(authorization|cookie|set-cookie|password|secret|client_secret|access_token|token|number|cvv|card_number|key|signature|cko-signature|payment_session_secret|payment_session_token)$/i;

/** Redacts secrets and card numbers inside a string. */
export function redactString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Deep-copies a value, redacting sensitive keys and secret-looking strings. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[TRUNCATED]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactString(value.message) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SENSITIVE_KEYS.test(k) && v !== null && v !== undefined ? '[REDACTED]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
