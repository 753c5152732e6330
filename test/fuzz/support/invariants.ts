import { vi } from 'vitest';
import { DEV_SECRETS, TEST_CARDS } from './arbitraries';

/**
 * What every answer to a fuzzed request must satisfy, independent of the surface: checks that return
 * a list of violations (empty when the answer is fine) so that one report names all of them.
 */

/** A response, read once: status, headers, body text. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function readAnswer(res: Response): Promise<Answer> {
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Bollard's one error shape: `{ request_id, error_type, error_codes, message? }`, nothing else. */
export function errorShapeViolations(answer: Answer): string[] {
  const out: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`error body is not JSON: ${answer.text.slice(0, 120)}`];
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return ['error body is not an object'];
  const b = body as Record<string, unknown>;
  const allowed = new Set(['request_id', 'error_type', 'error_codes', 'message']);
  for (const k of Object.keys(b)) if (!allowed.has(k)) out.push(`unexpected key ${k} in the error body`);
  if (typeof b.request_id !== 'string' || b.request_id === '') out.push('request_id is not a string');
  if (typeof b.error_type !== 'string' || b.error_type === '') out.push('error_type is not a string');
  if (!Array.isArray(b.error_codes) || !b.error_codes.every((c) => typeof c === 'string'))
    out.push('error_codes is not an array of strings');
  if (b.message !== undefined && typeof b.message !== 'string') out.push('message is not a string');
  const ct = answer.headers.get('content-type') ?? '';
  if (!ct.startsWith('application/json')) out.push(`error content-type is ${ct}`);
  const rid = answer.headers.get('cko-request-id');
  if (rid !== null && b.request_id !== rid) out.push('request_id differs from Cko-Request-Id');
  return out;
}

/**
 * A JSON-RPC 2.0 error response, as `/agent/mcp` answers protocol errors: `{ jsonrpc: "2.0", id, error:
 * { code, message } }` with an integer code, a string message, and nothing echoed from the request.
 */
export function jsonRpcErrorViolations(value: unknown): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return ['not a JSON-RPC error object'];
  const v = value as Record<string, unknown>;
  const out: string[] = [];
  if (v.jsonrpc !== '2.0') out.push('jsonrpc is not "2.0"');
  if (!(v.id === null || typeof v.id === 'string' || typeof v.id === 'number'))
    out.push('id is not null/string/number');
  const e = v.error as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object') return [...out, 'no error member'];
  if (!Number.isInteger(e.code)) out.push('error.code is not an integer');
  if (typeof e.message !== 'string') out.push('error.message is not a string');
  if ('result' in v) out.push('both result and error');
  return out;
}

/** 13–19 digits (grouped or not) that pass the Luhn check: what a card number looks like. */
function panLike(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (luhn(digits)) found.push(digits);
  }
  return found;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export interface SecretScan {
  /** Extra secrets for this run: agent keys, session cookies. */
  secrets?: readonly string[];
  /** Card-like digit runs the request carried (they must not come back). */
  requestPans?: readonly string[];
  /** An answer that is allowed to carry one agent key (`POST /admin/agents`, rotate). */
  allowAgentKey?: boolean;
}

/** The card-like digit runs in a request (its URL, headers and body), to look for in the answer. */
export function pansIn(...parts: string[]): string[] {
  return [...new Set(parts.flatMap(panLike))];
}

/**
 * Secrets in text: a development secret, a Checkout.com secret key, an agent key (unless allowed), a
 * run's own secrets, a test card, or a card number the request carried.
 */
export function secretViolations(where: string, text: string, scan: SecretScan = {}): string[] {
  const out: string[] = [];
  for (const s of [...DEV_SECRETS, ...(scan.secrets ?? [])])
    if (s && text.includes(s)) out.push(`${where} contains a secret (${s.slice(0, 6)}…)`);
  if (/\bsk_(sbox_|test_)?[A-Za-z0-9]{8,}/.test(text)) out.push(`${where} contains an sk_ key`);
  const agentKeys = text.match(/\bbak_[a-z2-7]{26}_[a-z2-7]{40}\b/g) ?? [];
  if (agentKeys.length > (scan.allowAgentKey ? 1 : 0)) out.push(`${where} contains an agent key`);
  // A listing's `limit`/`skip` repeat the caller's own paging numbers (Checkout.com's list shape): not data.
  const scanned = text.replaceAll(/"(limit|skip)":\d+/g, '');
  for (const card of TEST_CARDS)
    if (scanned.includes(card)) out.push(`${where} contains test card ${card.slice(0, 4)}…`);
  const pans = new Set(panLike(scanned));
  for (const p of scan.requestPans ?? [])
    if (pans.has(p)) out.push(`${where} echoes a card-like number from the request`);
  return out;
}

/** Every header and the body of an answer, as one text to scan. */
export function answerText(answer: Answer): string {
  const headers: string[] = [];
  answer.headers.forEach((v, k) => {
    headers.push(`${k}: ${v}`);
  });
  return `${headers.join('\n')}\n\n${answer.text}`;
}

/**
 * Captures what the Worker logs (every console method: Bollard's structured logs go through
 * `console.log`, the runtime's own complaints through `console.error`/`warn`), while a property runs.
 * The fuzz files scan the lines and start afresh for each request.
 */
export class LogCapture {
  readonly lines: string[] = [];
  readonly #spies: Array<{ mockRestore(): void }> = [];

  start(): this {
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      this.#spies.push(
        vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          this.lines.push(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
        }),
      );
    }
    return this;
  }

  /** The lines logged since the last call. */
  take(): string[] {
    return this.lines.splice(0, this.lines.length);
  }

  stop(): void {
    for (const spy of this.#spies.splice(0)) spy.mockRestore();
  }
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Log lines that say something went wrong unexpectedly (Bollard's `unhandled error`, uncaught exceptions). */
export function unexpectedLogLines(lines: readonly string[]): string[] {
  return lines.filter((l) =>
    /unhandled error|Uncaught|TypeError|RangeError|SyntaxError|Maximum call stack/i.test(l),
  );
}
