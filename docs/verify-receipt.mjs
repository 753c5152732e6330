#!/usr/bin/env node
// Verifies Bollard's receipts and its audit archive offline (Node 20+, no dependencies: node:crypto checks
// the Ed25519 / P-256 signatures). docs/agents.md, "Proving what an agent did", says what each check proves.
//
//   # 1. A receipt (the Bollard-Receipt header, or an MCP result's _meta["bollard/receipt"]) against the
//   #    public keys and the response body exactly as received (and, optionally, the request body as sent).
//   node docs/verify-receipt.mjs receipt receipt.jws --jwks jwks.json --body response.json [--request request.json]
//
//   # 2. The audit entry a receipt names, inside an archived range (chains/<chain>/<first>-<last>.ndjson):
//   #    the range's entries chain (every hash recomputed, every link followed) and the entry at the receipt's
//   #    seq has the receipt's hash. With --head (heads/<chain>/<last>.jws) the range is the signed one.
//   node docs/verify-receipt.mjs entry receipt.jws --jwks jwks.json --range range.ndjson [--head head.jws] [--body response.json]
//
//   # 3. A whole archive directory (as downloaded from the R2 bucket: chains/, heads/, keys/), head to head:
//   #    every head's signature, every range's SHA-256 and entries, each head continuing the one before.
//   node docs/verify-receipt.mjs archive ./archive [--jwks jwks.json]
//
// Exit code 0 when everything verifies, 1 when something does not (the first problem is named), 2 for a
// usage or file error.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ATTEMPT_FIELDS, entryHash, GENESIS_HASH, HASHED_FIELDS } from './verify-audit.mjs';

export const RECEIPT_TYP = 'bollard-receipt+jwt';
export const HEAD_TYP = 'bollard-archive-head+jwt';

/** A verification failure: what was being checked and why it failed. */
export class VerificationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'VerificationError';
  }
}

const fail = (message) => {
  throw new VerificationError(message);
};

export function sha256Hex(data) {
  return createHash('sha256').update(data).digest('hex');
}

/** Strict base64url: decoding then encoding again must give the same text (no ignored bits or characters). */
function b64url(segment, what) {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) fail(`${what} is not base64url`);
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) fail(`${what} is not canonical base64url`);
  return bytes;
}

/** The members a key of Bollard's JWKS may have: anything else (a renamed member included) is refused. */
const JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use', 'verify_until']);

const CURVES = { Ed25519: { kty: 'OKP', alg: 'EdDSA' }, 'P-256': { kty: 'EC', alg: 'ES256' } };

/** The verification keys of a JWKS document (`{ keys: [...] }`, an array, or one JWK), checked strictly. */
export function parseJwks(doc, source = 'jwks') {
  const list = Array.isArray(doc) ? doc : Array.isArray(doc?.keys) ? doc.keys : doc ? [doc] : [];
  const keys = [];
  for (const [i, k] of list.entries()) {
    const extra = Object.keys(k ?? {}).filter((m) => !JWK_MEMBERS.has(m));
    if (extra.length) fail(`${source}: key ${i} has members a Bollard key does not (${extra.join(', ')})`);
    const curve = CURVES[k?.crv];
    if (!curve || k.kty !== curve.kty)
      fail(`${source}: key ${i} is neither an Ed25519 (OKP) nor a P-256 (EC) key`);
    if (typeof k.kid !== 'string' || k.kid === '') fail(`${source}: key ${i} has no kid`);
    if (k.alg !== undefined && k.alg !== curve.alg)
      fail(`${source}: key ${k.kid} has alg ${k.alg}, not ${curve.alg}`);
    if (k.use !== undefined && k.use !== 'sig')
      fail(`${source}: key ${k.kid} is not a signing key (use ${k.use})`);
    for (const m of curve.kty === 'EC' ? ['x', 'y'] : ['x'])
      if (typeof k[m] !== 'string') fail(`${source}: key ${k.kid} has no ${m}`);
      else b64url(k[m], `${source}: key ${k.kid}'s ${m}`);
    const until = k.verify_until === undefined ? null : Date.parse(k.verify_until);
    if (until !== null && !Number.isFinite(until))
      fail(`${source}: key ${k.kid} has a malformed verify_until`);
    const jwk = { kty: k.kty, crv: k.crv, x: k.x, ...(k.y !== undefined ? { y: k.y } : {}) };
    let publicKey;
    try {
      publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      fail(`${source}: key ${k.kid} is not a valid ${k.crv} public key`);
    }
    keys.push({ kid: k.kid, alg: curve.alg, publicKey, verifyUntil: until, source });
  }
  return keys;
}

/**
 * Verifies a compact JWS with one of `keys` (by its kid) and returns `{ header, claims, key }`. The `typ`
 * must be `typ`; a key with a `verify_until` date verifies only what was signed (`iat`) before it.
 */
export function verifyJws(jws, keys, typ) {
  if (typeof jws !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws))
    fail('not a compact JWS (three base64url parts)');
  const [h, p, s] = jws.split('.');
  let header;
  let claims;
  try {
    header = JSON.parse(b64url(h, 'the header').toString('utf8'));
    claims = JSON.parse(b64url(p, 'the payload').toString('utf8'));
  } catch (err) {
    if (err instanceof VerificationError) throw err;
    fail('the header or payload is not JSON');
  }
  const signature = b64url(s, 'the signature');
  if (header.typ !== typ) fail(`typ is ${JSON.stringify(header.typ)}, not ${typ}`);
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) fail(`signed by kid ${JSON.stringify(header.kid)}, which is not among the keys given`);
  if (header.alg !== key.alg) fail(`alg ${header.alg} does not match key ${key.kid} (${key.alg})`);
  const data = Buffer.from(`${h}.${p}`, 'ascii');
  const ok =
    key.alg === 'EdDSA'
      ? verify(null, data, key.publicKey, signature)
      : verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!ok) fail(`the signature does not verify with key ${key.kid}`);
  if (typeof claims !== 'object' || claims === null) fail('the payload is not a JSON object');
  if (claims.kid !== undefined && claims.kid !== header.kid) fail('the kid claim is not the header kid');
  if (key.verifyUntil !== null && (!Number.isInteger(claims.iat) || claims.iat * 1000 > key.verifyUntil))
    fail(`signed after key ${key.kid} stopped being valid (${new Date(key.verifyUntil).toISOString()})`);
  return { header, claims, key };
}

/** A receipt as saved: the JWS alone, or the header line `Bollard-Receipt: <jws>`. */
export function receiptText(text) {
  return text.trim().replace(/^bollard-receipt:\s*/i, '');
}

/**
 * (1) A receipt against the keys, and (optionally) the bodies: `body` is the response body exactly as
 * received (bytes or a string), `request` the request body as sent.
 */
export function verifyReceipt({ receipt, keys, body, request }) {
  const { claims, key } = verifyJws(receiptText(receipt), keys, RECEIPT_TYP);
  for (const f of [
    'iss',
    'sub',
    'jti',
    'request_id',
    'response_sha256',
    'request_sha256',
    'decision',
    'reason',
  ])
    if (typeof claims[f] !== 'string') fail(`the receipt has no ${f}`);
  const a = claims.audit;
  if (!a || typeof a.chain !== 'string' || !Number.isInteger(a.seq) || !/^[0-9a-f]{64}$/.test(a.hash ?? ''))
    fail('the receipt names no audit entry (audit.chain, audit.seq, audit.hash)');
  if (a.chain !== claims.sub) fail('the audit entry is in another chain than the receipt’s agent');
  const checked = [];
  if (body !== undefined) {
    if (sha256Hex(body) !== claims.response_sha256)
      fail('the response body is not the one the receipt was signed over (response_sha256 differs)');
    checked.push('response body');
  }
  if (request !== undefined) {
    if (sha256Hex(request) !== claims.request_sha256)
      fail('the request body is not the one the receipt was signed over (request_sha256 differs)');
    checked.push('request body');
  }
  return { claims, kid: key.kid, checked };
}

const ENTRY_LINE = /^\{.*\}$/;
/** An entry's members: the hashed fields, `at`, the two hashes, and for `attempts` entries their own fields. */
const ENTRY_MEMBERS = [...HASHED_FIELDS, 'at', 'prev_hash', 'hash'];

function membersProblem(e) {
  const want = new Set(e.kind === 'attempts' ? [...ENTRY_MEMBERS, ...ATTEMPT_FIELDS] : ENTRY_MEMBERS);
  const have = Object.keys(e);
  const extra = have.filter((m) => !want.has(m));
  const missing = [...want].filter((m) => !(m in e));
  return extra.length || missing.length ? `members differ (${[...extra, ...missing].join(', ')})` : null;
}

/**
 * The entries of an NDJSON range, each checked on its own: a JSON object written exactly as Bollard writes
 * it (`JSON.stringify`, so no byte may change unseen), `at` being `at_ms` in ISO form, and its hash recomputed.
 */
export function parseRange(text, what = 'the range') {
  if (!text.endsWith('\n')) fail(`${what} does not end with a newline`);
  const lines = text.slice(0, -1).split('\n');
  return lines.map((line, i) => {
    if (!ENTRY_LINE.test(line)) fail(`${what}, line ${i + 1}: not a JSON object`);
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      fail(`${what}, line ${i + 1}: not JSON`);
    }
    if (JSON.stringify(e) !== line) fail(`${what}, line ${i + 1}: not as Bollard wrote it`);
    const members = membersProblem(e);
    if (members) fail(`${what}, line ${i + 1}: ${members}`);
    if (!Number.isInteger(e.seq) || !Number.isInteger(e.at_ms))
      fail(`${what}, line ${i + 1}: no seq or at_ms`);
    if (e.at !== new Date(e.at_ms).toISOString()) fail(`${what}, seq ${e.seq}: at is not at_ms`);
    if (entryHash(e.prev_hash, e) !== e.hash)
      fail(`${what}, seq ${e.seq}: the hash does not match the fields`);
    return e;
  });
}

/** Consecutive seqs, each entry linking to the one before (the first to `from` when given). */
function checkLinks(entries, chain, from, what) {
  let prev = from;
  for (const e of entries) {
    if (e.chain !== chain) fail(`${what}, seq ${e.seq}: in chain ${e.chain}, not ${chain}`);
    if (prev) {
      if (e.seq !== prev.seq + 1) fail(`${what}: seq ${prev.seq + 1} is missing (found ${e.seq})`);
      if (e.prev_hash !== prev.hash)
        fail(`${what}, seq ${e.seq}: prev_hash is not the hash of seq ${prev.seq}`);
    } else if (e.seq === 1 && e.prev_hash !== GENESIS_HASH)
      fail(`${what}: entry 1 does not start from genesis`);
    prev = e;
  }
}

/** A signed head's claims, checked against the range it closes (`rangeBytes`, as stored). */
function checkHead(claims, chain, rangeBytes, entries, what) {
  const r = claims.range ?? {};
  if (claims.chain !== chain) fail(`${what}: the head is for chain ${claims.chain}, not ${chain}`);
  if (sha256Hex(rangeBytes) !== r.sha256) fail(`${what}: the range's SHA-256 is not the one its head signed`);
  if (rangeBytes.length !== r.bytes) fail(`${what}: the range's size is not the one its head signed`);
  const first = entries[0];
  const last = entries.at(-1);
  if (!first || !last || entries.length !== r.entries) fail(`${what}: the head signed ${r.entries} entries`);
  if (first.seq !== r.first_seq || last.seq !== r.last_seq || last.seq !== claims.seq)
    fail(`${what}: the range's seqs are not the ones its head signed`);
  if (last.hash !== claims.hash) fail(`${what}: the last entry's hash is not the head's`);
  if (first.prev_hash !== claims.prev?.hash || first.seq !== claims.prev?.seq + 1)
    fail(`${what}: the range does not start where its head says the previous one ended`);
}

/**
 * (2) The entry a receipt names is in an archived range: the receipt verifies, the range's entries hash and
 * link, the entry at `audit.seq` has `audit.hash` and is this call's (agent, request id, method), and the
 * call's outcome entry, when the range holds it, agrees with the receipt. With `head`, the range is also the
 * one a signed head closes.
 */
export function verifyEntry({ receipt, keys, range, head, body, request }) {
  const r = verifyReceipt({ receipt, keys, body, request });
  const { audit } = r.claims;
  const bytes = typeof range === 'string' ? Buffer.from(range, 'utf8') : Buffer.from(range);
  const text = bytes.toString('utf8');
  const entries = parseRange(text);
  checkLinks(entries, audit.chain, null, 'the range');
  const entry = entries.find((e) => e.seq === audit.seq);
  if (!entry)
    fail(`the range (seq ${entries[0]?.seq}-${entries.at(-1)?.seq}) does not hold seq ${audit.seq}`);
  if (entry.hash !== audit.hash) fail(`the entry at seq ${audit.seq} does not have the receipt's hash`);
  if (entry.kind !== audit.kind)
    fail(`the entry at seq ${audit.seq} is a ${entry.kind}, not a ${audit.kind}`);
  if (
    entry.agent_id !== r.claims.sub ||
    entry.request_id !== r.claims.request_id ||
    entry.entry !== r.claims.method
  )
    fail(`the entry at seq ${audit.seq} is not this call's (agent, request id or method differ)`);
  const notes = [];
  const outcome =
    entry.kind === 'start' ? entries.find((e) => e.kind === 'outcome' && e.call_seq === entry.seq) : entry;
  if (outcome) {
    const same =
      outcome.decision === r.claims.decision &&
      outcome.reason === r.claims.reason &&
      outcome.upstream_status === r.claims.upstream_status &&
      outcome.upstream_request_id === r.claims.upstream_request_id;
    if (!same && outcome.reason !== 'outcome_unrecorded')
      fail(`the recorded outcome (seq ${outcome.seq}) disagrees with what the receipt says was answered`);
    notes.push(
      same
        ? `outcome recorded at seq ${outcome.seq} agrees`
        : `outcome at seq ${outcome.seq} is outcome_unrecorded (Bollard stopped before recording it); the receipt says what was answered`,
    );
  } else notes.push('the outcome entry is in a later range');
  if (head !== undefined) {
    const { claims } = verifyJws(headText(head, 'the head'), keys, HEAD_TYP);
    checkHead(claims, audit.chain, bytes, entries, 'the range');
    notes.push(`closed by the signed head at seq ${claims.seq}`);
  }
  return { ...r, entry, notes };
}

/** A head object's text: exactly one compact JWS and a newline, as Bollard writes it. */
function headText(data, what) {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  const m = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\n?$/.exec(text);
  if (!m) fail(`${what} is not one compact JWS`);
  return m[1];
}

function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

/** The archive's own `keys/<kid>.json`, each exactly as Bollard writes it and named by its kid. */
function archiveKeys(dir, files) {
  const keys = [];
  for (const f of files.filter((x) => x.startsWith('keys/'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    let jwk;
    try {
      jwk = JSON.parse(text);
    } catch {
      fail(`${f} is not JSON`);
    }
    if (`${JSON.stringify(jwk)}\n` !== text) fail(`${f} is not as Bollard wrote it`);
    if (f !== `keys/${jwk.kid}.json`) fail(`${f} holds kid ${jwk.kid}`);
    if ('d' in jwk) fail(`${f} holds a private key member`);
    keys.push(...parseJwks([jwk], f));
  }
  return keys;
}

/**
 * (3) A whole archive directory, head to head. Per chain: each head verifies and names its own seq; the first
 * starts at the chain's genesis (or at the anchor of a chain pruned before it was archived, reported so);
 * each later one continues the one before it (prev key, seq and hash); each range is the one its head signed
 * (SHA-256, size, entries) and its entries hash and link; `count` adds up. Ranges no head signed are listed.
 */
export function verifyArchive(dir, jwksKeys = []) {
  const files = filesUnder(dir);
  const fromArchive = archiveKeys(dir, files);
  const keys = [...jwksKeys, ...fromArchive.filter((k) => !jwksKeys.some((j) => j.kid === k.kid))];
  const chains = new Map();
  for (const f of files) {
    const m = /^heads\/([A-Za-z0-9_-]+)\/(\d{12})\.jws$/.exec(f);
    if (m) chains.set(m[1], [...(chains.get(m[1]) ?? []), f]);
    else if (!/^(chains\/[A-Za-z0-9_-]+\/\d{12}-\d{12}\.ndjson|keys\/[A-Za-z0-9_.-]+\.json)$/.test(f))
      fail(`${f} is not an archive object`);
  }
  const referenced = new Set();
  const results = [];
  const usedKids = new Set();
  for (const [chain, heads] of [...chains.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let prev = null;
    let start = null;
    let entries = 0;
    for (const f of heads) {
      const what = f;
      const { claims, key } = verifyJws(headText(readFileSync(join(dir, f)), what), keys, HEAD_TYP);
      usedKids.add(key.kid);
      if (`heads/${chain}/${String(claims.seq).padStart(12, '0')}.jws` !== f)
        fail(`${what}: names seq ${claims.seq}`);
      const p = claims.prev ?? {};
      if (prev === null) {
        if (p.from === 'genesis' ? p.seq !== 0 || p.hash !== GENESIS_HASH : p.from !== 'anchor')
          fail(`${what}: the chain's first head does not start from genesis or an anchor`);
        if (p.key !== null) fail(`${what}: the first head names a previous head`);
        start = p.from === 'genesis' ? 'genesis' : `anchor at seq ${p.seq}`;
      } else if (p.key !== prev.file || p.seq !== prev.claims.seq || p.hash !== prev.claims.hash)
        fail(`${what}: does not continue ${prev.file}`);
      const rangeFile = claims.range?.key;
      if (typeof rangeFile !== 'string' || !files.includes(rangeFile))
        fail(`${what}: its range ${rangeFile} is missing`);
      referenced.add(rangeFile);
      const bytes = readFileSync(join(dir, rangeFile));
      const list = parseRange(bytes.toString('utf8'), rangeFile);
      checkLinks(list, chain, { seq: p.seq, hash: p.hash }, rangeFile);
      checkHead(claims, chain, bytes, list, rangeFile);
      if (claims.count !== (prev?.claims.count ?? 0) + list.length) fail(`${what}: count does not add up`);
      entries += list.length;
      prev = { file: f, claims };
    }
    results.push({
      chain,
      heads: heads.length,
      entries,
      from: start,
      head: prev ? { seq: prev.claims.seq, hash: prev.claims.hash, at: prev.claims.at } : null,
    });
  }
  const unreferenced = files.filter((f) => f.startsWith('chains/') && !referenced.has(f));
  return {
    chains: results,
    unreferenced,
    keys: keys.map((k) => ({ kid: k.kid, source: k.source, used: usedKids.has(k.kid) })),
  };
}

function usage() {
  return [
    'usage:',
    '  node docs/verify-receipt.mjs receipt <receipt.jws> --jwks <jwks.json> [--body <file>] [--request <file>]',
    '  node docs/verify-receipt.mjs entry <receipt.jws> --jwks <jwks.json> --range <range.ndjson> [--head <head.jws>] [--body <file>]',
    '  node docs/verify-receipt.mjs archive <dir> [--jwks <jwks.json>]',
  ].join('\n');
}

function parseArgv(argv) {
  const [mode, target, ...rest] = argv;
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    if (!name?.startsWith('--') || rest[i + 1] === undefined) return null;
    flags[name.slice(2)] = rest[i + 1];
  }
  return mode && target ? { mode, target, flags } : null;
}

function describe(claims) {
  const a = claims.audit;
  return `${claims.sub} ${claims.method ?? '(no catalog method)'} ${claims.http_method} ${claims.path} → ${claims.status} (upstream ${claims.upstream_status ?? '-'}${claims.upstream_request_id ? ` ${claims.upstream_request_id}` : ''}), ${claims.decision}/${claims.reason}, at ${new Date(claims.iat * 1000).toISOString()}; audit ${a.chain} seq ${a.seq} (${a.kind}) ${a.hash}`;
}

export async function main(argv = process.argv.slice(2), out = console.log) {
  const args = parseArgv(argv);
  if (!args || !['receipt', 'entry', 'archive'].includes(args.mode)) {
    out(usage());
    return 2;
  }
  const allowed = {
    receipt: ['jwks', 'body', 'request'],
    entry: ['jwks', 'range', 'head', 'body', 'request'],
    archive: ['jwks'],
  };
  const unknown = Object.keys(args.flags).filter((f) => !allowed[args.mode].includes(f));
  if (
    unknown.length ||
    (args.mode !== 'archive' && !args.flags.jwks) ||
    (args.mode === 'entry' && !args.flags.range)
  ) {
    out(usage());
    return 2;
  }
  let read;
  try {
    read = (p) => readFileSync(p);
    const keys = args.flags.jwks
      ? parseJwks(JSON.parse(read(args.flags.jwks).toString('utf8')), args.flags.jwks)
      : [];
    if (args.mode === 'receipt') {
      const r = verifyReceipt({
        receipt: read(args.target).toString('utf8'),
        keys,
        ...(args.flags.body ? { body: read(args.flags.body) } : {}),
        ...(args.flags.request ? { request: read(args.flags.request) } : {}),
      });
      out(`ok  receipt ${r.claims.jti}, signed by ${r.claims.iss} with kid ${r.kid}`);
      out(`    ${describe(r.claims)}`);
      out(
        r.checked.length
          ? `    ${r.checked.join(' and ')} match`
          : '    response body not checked (pass --body)',
      );
    } else if (args.mode === 'entry') {
      const r = verifyEntry({
        receipt: read(args.target).toString('utf8'),
        keys,
        range: read(args.flags.range),
        ...(args.flags.head ? { head: read(args.flags.head) } : {}),
        ...(args.flags.body ? { body: read(args.flags.body) } : {}),
        ...(args.flags.request ? { request: read(args.flags.request) } : {}),
      });
      out(`ok  receipt ${r.claims.jti}, signed by ${r.claims.iss} with kid ${r.kid}`);
      out(`    ${describe(r.claims)}`);
      out(`    the range chains, and holds that entry with that hash; ${r.notes.join('; ')}`);
      if (r.checked.length) out(`    ${r.checked.join(' and ')} match`);
    } else {
      const r = verifyArchive(args.target, keys);
      for (const c of r.chains)
        out(
          `ok  ${c.chain}: ${c.heads} head${c.heads === 1 ? '' : 's'}, ${c.entries} entries from ${c.from}, head seq ${c.head?.seq} ${c.head?.hash}`,
        );
      for (const k of r.keys) out(`    key ${k.kid} from ${k.source}${k.used ? '' : ' (unused)'}`);
      for (const f of r.unreferenced)
        out(`    note: ${f} is signed by no head (a run that stopped before its head; ignore it)`);
      out(`${r.chains.length} chain${r.chains.length === 1 ? '' : 's'} verified head to head`);
    }
    return 0;
  } catch (err) {
    if (err instanceof VerificationError) {
      out(`FAIL ${err.message}`);
      return 1;
    }
    out(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

const invoked = typeof process !== 'undefined' && Array.isArray(process.argv) ? process.argv[1] : undefined;
if (invoked && import.meta.url.endsWith(`/${invoked.split(/[\\/]/).pop()}`)) process.exitCode = await main();
