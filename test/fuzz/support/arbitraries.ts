import fc from 'fast-check';
import { DEV_CREDENTIALS } from '../../../src/dev/credentials';

/**
 * Generators for hostile HTTP input, shared by every fuzz file (Bollard's surfaces and the simulator).
 * Everything here is plain data: the surfaces' own files assemble it into requests.
 */

/** The order-token key of `.dev.vars` (not in DEV_CREDENTIALS: only Bollard holds it). */
export const ORDER_TOKEN_KEY = 'dev-order-token-key-change-me-in-production-0123456789';

/** Every development secret: none may ever appear in an answer or a log line. */
export const DEV_SECRETS: readonly string[] = [
  DEV_CREDENTIALS.secretKey,
  DEV_CREDENTIALS.storefrontSecretKey,
  DEV_CREDENTIALS.oauthClientSecret,
  DEV_CREDENTIALS.simAdminKey,
  DEV_CREDENTIALS.adminToken,
  DEV_CREDENTIALS.webhookSigningKey,
  ORDER_TOKEN_KEY,
];

/** Sandbox test cards (approving and declining): put into requests, never to be seen again. */
export const TEST_CARDS: readonly string[] = [
  '4242424242424242',
  '4543474002249996',
  '5436031030606378',
  '4544249167673670',
  '4111111111111129',
  '378282246310005',
  '6011111111111117',
];

/** Strings chosen to break things: traversal, injection, encodings, secrets and card numbers. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '..',
  '../../../etc/passwd',
  '..%2F..%2F_sim%2Fstats',
  '%2F',
  '%00',
  '\u0000',
  '%',
  '%zz',
  '\r\nset-cookie: pwned=1',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' OR '1'='1' --",
  // A template-injection probe (in two parts, so that it is no template here).
  '$' + '{jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e400',
  '\u202e\u0631\u0644',
  '💳💸🧨',
  '\ud800',
  '\udfff\ud800',
  'é'.normalize('NFD'),
  'ｐａｙ＿',
  'a'.repeat(300),
  'x'.repeat(5000),
  'bak_',
  `bak_${'a'.repeat(40)}`,
  `bak_${'a'.repeat(26)}_${'b'.repeat(40)}`,
  'Bearer bollard_admin_dev',
  ...DEV_SECRETS,
  ...TEST_CARDS,
  '4242 4242 4242 4242',
  '4242-4242-4242-4242',
];

/** Object keys that reach JavaScript's prototype machinery, and the field names the routes read. */
export const HOSTILE_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
  '',
  '\u0000',
  '4242424242424242',
  'sk_sbox_devsecretkeyfullaccessaaaaq',
];

/** Numbers as JSON text, beyond what a double or an integer field holds. */
export const RAW_NUMBERS: readonly string[] = [
  '0',
  '-0',
  '-1',
  '1e400',
  '-1e400',
  '1e-400',
  '1.7976931348623157e308',
  '5e-324',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.1',
  '1E2',
  '4242424242424242',
  '100',
  '1000',
  '86400',
];

const jsonString = (s: string) => JSON.stringify(s);

/** `encodeURIComponent`, which throws on a lone surrogate: those become U+FFFD first. */
export function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
}

/** A string value: arbitrary text (all of Unicode, lone surrogates included) or a hostile one. */
export const stringValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
);

/**
 * JSON text (not a value: `{"__proto__": …}`, duplicate keys and `1e400` only exist as text), with
 * `fields` as likely keys so that the routes' validators get past their first check now and then.
 */
export function jsonText(fields: readonly string[] = [], maxDepth = 4): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fields.length ? fc.constantFrom(...fields) : fc.string({ maxLength: 8 }) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
  const leaf = fc.oneof(
    fc.constantFrom('true', 'false', 'null'),
    fc.constantFrom(...RAW_NUMBERS),
    fc.double().map((d) => (Number.isFinite(d) ? String(d) : '0')),
    fc.integer().map(String),
    stringValue.map(jsonString),
  );
  const { tree } = fc.letrec<{ tree: string }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
      fc
        .array(fc.tuple(key, tie('tree')), { maxLength: 5 })
        .map((entries) => `{${entries.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}}`),
    ),
  }));
  return tree;
}

/** Up to 2,000 levels of nesting: arrays, objects, and objects through `__proto__`. */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 1, max: 2000 }),
    fc.constantFrom('array', 'object', 'proto'),
    fc.constantFrom('1', '"x"', '{}'),
  )
  .map(([depth, kind, leaf]) => {
    if (kind === 'array') return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
    const open = kind === 'object' ? '{"a":' : '{"__proto__":';
    return `${open.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
  });

/** Bytes that are not UTF-8: lone continuation bytes, overlong forms, encoded surrogates, 0xFF. */
const INVALID_UTF8: readonly number[][] = [
  [0x80],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xff, 0xfe],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc3],
];

function utf16(text: string, bigEndian: boolean, bom: boolean): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array((text.length + (bom ? 1 : 0)) * 2);
  const view = new DataView(out.buffer);
  let at = 0;
  if (bom) {
    view.setUint16(0, 0xfeff, !bigEndian);
    at = 2;
  }
  for (let i = 0; i < text.length; i++, at += 2) view.setUint16(at, text.charCodeAt(i), !bigEndian);
  return out;
}

/** A request body and how it was made (for the report). */
export interface FuzzBody {
  kind: string;
  data: string | Uint8Array<ArrayBuffer> | null;
}

/** A body with its kind, printed short in a failure report. */
export function body(kind: string, data: FuzzBody['data']): FuzzBody {
  const preview =
    data === null
      ? 'null'
      : typeof data === 'string'
        ? JSON.stringify(data.length > 200 ? `${data.slice(0, 200)}… (${data.length} chars)` : data)
        : `bytes[${data.byteLength}] ${Array.from(data.slice(0, 24), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  return { kind, data, [fc.toStringMethod]: () => `${kind}:${preview}` } as FuzzBody;
}

const BIG_SIZES = [17 * 1024, 300 * 1024, 1_100_000] as const;

/**
 * Any body: JSON trees with hostile keys, a valid-looking document of the route's own (`valid`),
 * mutated, 2,000-deep nesting, scalars, broken JSON, binary, invalid UTF-8, UTF-16, form encoding,
 * oversize bodies, or none.
 */
export function bodyArb(
  fields: readonly string[] = [],
  valid: fc.Arbitrary<string>[] = [],
): fc.Arbitrary<FuzzBody> {
  const tree = jsonText(fields);
  const parts: Array<fc.WeightedArbitrary<FuzzBody>> = [
    { weight: 6, arbitrary: tree.map((t) => body('json', t)) },
    { weight: 2, arbitrary: deepNesting.map((t) => body('deep', t)) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '-1',
          '"garbage"',
          '{"a":1}',
          '[]',
          '[[]]',
          '[1,2,3]',
          '{}',
          'null',
          'true',
          '',
          ' ',
          '{',
          '}',
          '{"a":1,}',
          "{'a':1}",
          'NaN',
          'Infinity',
          '\u0000',
          '\ufeff{}',
          '{"a":1}{"b":2}',
          '{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}}}',
        )
        .map((t) => body('scalar', t)),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => body('binary', new Uint8Array(b))) },
    {
      weight: 2,
      arbitrary: fc.tuple(tree, fc.constantFrom(...INVALID_UTF8), fc.nat()).map(([t, bad, at]) => {
        const bytes = new TextEncoder().encode(t);
        const cut = bytes.byteLength === 0 ? 0 : at % bytes.byteLength;
        const out = new Uint8Array(bytes.byteLength + bad.length);
        out.set(bytes.slice(0, cut), 0);
        out.set(bad, cut);
        out.set(bytes.slice(cut), cut + bad.length);
        return body('invalid-utf8', out);
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.oneof(tree, ...valid), fc.boolean(), fc.boolean())
        .map(([t, be, bom]) => body(`utf16${be ? 'be' : 'le'}${bom ? '-bom' : ''}`, utf16(t, be, bom))),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...fields, 'token', 'a'), fc.string({ maxLength: 6 })),
            stringValue,
          ),
          {
            maxLength: 4,
          },
        )
        .map((pairs) => body('form', new URLSearchParams(pairs).toString())),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...BIG_SIZES).map((n) => body('big', `{"a":"${'a'.repeat(n)}"}`)),
    },
    { weight: 1, arbitrary: fc.constant(body('none', null)) },
  ];
  for (const v of valid) {
    parts.push({ weight: 4, arbitrary: v.map((t) => body('valid', t)) });
    // A valid document with one hostile subtree spliced in as an extra or replaced member.
    parts.push({
      weight: 3,
      arbitrary: fc
        .tuple(v, fc.constantFrom(...fields, ...HOSTILE_KEYS), tree)
        .map(([t, k, sub]) =>
          body('mutated', t.startsWith('{') ? `{${JSON.stringify(k)}:${sub},${t.slice(1)}` : t),
        ),
    });
  }
  return fc.oneof(...parts);
}

/** Content types: right, wrong, odd and absent (null). */
export const contentTypeArb: fc.Arbitrary<string | null> = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/json;charset=ISO-8859-1',
  'application/json, text/plain',
  'application/merge-patch+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'text/html',
  'application/octet-stream',
  '*/*',
  'application/jsonx',
  'json',
  '',
  null,
);

/** A path segment as it goes on the wire: valid-looking ids, encoded traversal, unicode, very long. */
export function idSegmentArb(valid: readonly string[] = []): fc.Arbitrary<string> {
  const base32 = fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz234567'),
    minLength: 26,
    maxLength: 26,
  });
  return fc.oneof(
    { weight: 3, arbitrary: valid.length ? fc.constantFrom(...valid) : fc.constant('x') },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'pay_',
            'ps_',
            'pl_',
            'agt_',
            'evt_',
            'dsp_',
            'cus_',
            'tok_',
            'src_',
            'tra_',
            'wf_',
            'ent_',
          ),
          base32,
        )
        .map(([p, b]) => `${p}${b}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '..%2F..%2F_sim%2Fstats',
        '%2F',
        '%00',
        '%',
        '%zz',
        '%E0%A4%A',
        '%C0%AF',
        ';',
        '%3F%23',
        '__proto__',
        'constructor',
        encodeURIComponent('💳'),
        encodeURIComponent('pay_\u202e'),
        'a'.repeat(5000),
        `ps_${'a'.repeat(41)}`,
        'ps_aaaaaaaaaaaaaaaaaaaa',
        'pl_abcdef',
        ...TEST_CARDS.slice(0, 2),
        encodeURIComponent(DEV_CREDENTIALS.secretKey),
      ),
    },
    { weight: 1, arbitrary: stringValue.map(encode) },
  );
}

/** Query parameter names the routes read, and some they do not. */
export const QUERY_KEYS: readonly string[] = [
  'limit',
  'skip',
  'agent',
  'agent_id',
  'from',
  'to',
  'decision',
  'area',
  'full',
  'window',
  'url',
  'type',
  'subject',
  'status',
  'payment_id',
  'reference',
  'id',
  '__proto__',
  'constructor',
];

const queryValue = fc.oneof(
  stringValue,
  fc.constantFrom(
    '-1',
    '0',
    '1',
    '1e3',
    '1000',
    '1001',
    '250',
    '251',
    '99999999999999999999',
    '1.5',
    'abc',
    'anonymous',
    'true',
    '1h',
    '24h',
    '7d',
    '2026-01-01T00:00:00Z',
    'not-a-date',
    'denied',
    'payments',
    'http://127.0.0.1:8787',
    'javascript:alert(1)',
  ),
);

/** A query string (with its `?`, or empty): encoded, raw, repeated and broken parameters. */
export const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 5,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 6 })),
          queryValue,
          fc.boolean(),
        ),
        {
          minLength: 1,
          maxLength: 5,
        },
      )
      .map(
        (pairs) =>
          `?${pairs.map(([k, v, raw]) => (raw ? `${k}=${v}` : `${encode(k)}=${encode(v)}`)).join('&')}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '?',
      '?&&&',
      '?=',
      '?%',
      '?a=%zz',
      '?limit=1&limit=2',
      `?q=${'a'.repeat(3000)}`,
    ),
  },
);

/** `Origin`: none, a configured storefront origin, a look-alike, `null`, another site. */
export const originArb: fc.Arbitrary<string | null> = fc.constantFrom(
  null,
  null,
  'http://127.0.0.1:8787',
  'http://localhost:8787',
  'http://bollard.test',
  'https://127.0.0.1:8787',
  'http://127.0.0.1:8787.evil.example',
  'http://evil.example',
  'null',
  'file://',
  'http://127.0.0.1:8787/',
);

/** `X-Request-Id`: plain ones Bollard echoes, and ones shaped like secrets or card numbers. */
export const requestIdArb: fc.Arbitrary<string | null> = fc.constantFrom(
  null,
  null,
  null,
  'fuzz-1',
  'a'.repeat(65),
  'req id',
  '4242424242424242',
  DEV_CREDENTIALS.adminToken,
  DEV_CREDENTIALS.secretKey,
  `bak_${'a'.repeat(26)}_${'b'.repeat(40)}`,
  'whsec_dev_bollard_local_signing_key',
);

/** Methods, including lower-case `patch` (which fetch does not normalise) and extension methods. */
export const methodArb: fc.Arbitrary<string> = fc.constantFrom(
  'GET',
  'GET',
  'POST',
  'POST',
  'POST',
  'PUT',
  'PATCH',
  'patch',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'PROPFIND',
);

/** A header value that the Fetch API accepts (it refuses CR, LF and NUL, and code points above U+00FF). */
export function headerSafe(value: string): string | null {
  try {
    new Headers({ x: value });
    return value;
  } catch {
    return null;
  }
}
