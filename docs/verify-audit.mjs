#!/usr/bin/env node
// Re-verifies a Bollard audit export offline (Node 18+, no dependencies).
//
//   curl -s https://<host>/admin/audit/export -H "authorization: Bearer $ADMIN_TOKEN" > audit.ndjson
//   node docs/verify-audit.mjs audit.ndjson          # or: ... | node docs/verify-audit.mjs
//
// Each line is one chain entry. For every entry:
//   hash = sha256_hex( prev_hash + "\n" + JSON.stringify([ the HASHED_FIELDS values, in this order ]) )
// (UTF-8; JSON.stringify as JavaScript writes it: null for absent values, integers without decimals,
// strings with JSON escapes). Within a chain (`chain`: the agent id or `anonymous`), entries are numbered
// 1, 2, 3, … and each entry's prev_hash is the previous entry's hash; entry 1's prev_hash is 64 zeros.
// Exit code 0 when every chain verifies, 1 otherwise. docs/agents.md, "The audit log", says more.
import { createHash } from 'node:crypto';

/** The hashed fields, in order. Kept equal to `HASHED_FIELDS` in src/agents/audit-entry.ts by a test. */
export const HASHED_FIELDS = [
  'chain',
  'seq',
  'kind',
  'call_seq',
  'at_ms',
  'agent_id',
  'agent_name',
  'channel',
  'method',
  'path_template',
  'entry',
  'area',
  'access',
  'decision',
  'reason',
  'upstream_status',
  'latency_ms',
  'request_id',
  'upstream_request_id',
  'idempotency_key',
  'amount',
  'currency',
];

export const GENESIS_HASH = '0'.repeat(64);

export function entryHash(prevHash, entry) {
  const canonical = JSON.stringify(HASHED_FIELDS.map((f) => (entry[f] === undefined ? null : entry[f])));
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/**
 * Verifies NDJSON text. Returns one result per chain: `valid`, the entries checked, the head reached, the
 * first bad seq and why, and whether the chain was checked from its genesis (an export filtered by time,
 * decision or area holds parts of chains: each entry's own hash is still checked, links only between
 * consecutive entries).
 */
export function verifyNdjson(text) {
  const chains = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line);
    const list = chains.get(entry.chain) ?? [];
    list.push(entry);
    chains.set(entry.chain, list);
  }
  const results = [];
  for (const [chain, entries] of [...chains.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    entries.sort((a, b) => a.seq - b.seq);
    const fromGenesis = entries[0]?.seq === 1;
    let prev = null;
    let problem = null;
    for (const e of entries) {
      if (e.seq === 1 && e.prev_hash !== GENESIS_HASH)
        problem = { seq: e.seq, why: 'first entry does not start from the genesis hash' };
      else if (prev && e.seq === prev.seq + 1 && e.prev_hash !== prev.hash)
        problem = { seq: e.seq, why: 'prev_hash is not the previous entry hash' };
      else if (prev && e.seq === prev.seq) problem = { seq: e.seq, why: 'duplicate seq' };
      else if (fromGenesis && prev && e.seq !== prev.seq + 1)
        problem = { seq: prev.seq + 1, why: 'entry missing' };
      else if (entryHash(e.prev_hash, e) !== e.hash)
        problem = { seq: e.seq, why: 'hash does not match the fields' };
      if (problem) break;
      prev = e;
    }
    results.push({
      chain,
      valid: problem === null,
      entries: entries.length,
      from_genesis: fromGenesis,
      head: prev ? { seq: prev.seq, hash: prev.hash } : null,
      first_invalid_seq: problem?.seq ?? null,
      problem: problem?.why ?? null,
    });
  }
  return results;
}

async function main() {
  const { readFile } = await import('node:fs/promises');
  const path = process.argv[2];
  let text = '';
  if (path && path !== '-') text = await readFile(path, 'utf8');
  else for await (const chunk of process.stdin) text += chunk;
  const results = verifyNdjson(text);
  for (const r of results) {
    const where = r.from_genesis ? 'from genesis' : 'partial (no genesis in the export)';
    console.log(
      r.valid
        ? `ok       ${r.chain}: ${r.entries} entries, ${where}, head ${r.head?.seq} ${r.head?.hash}`
        : `INVALID  ${r.chain}: at seq ${r.first_invalid_seq}: ${r.problem}`,
    );
  }
  const bad = results.filter((r) => !r.valid).length;
  console.log(`${results.length - bad} chains valid, ${bad} invalid`);
  process.exitCode = bad ? 1 : 0;
}

const invoked = typeof process !== 'undefined' && Array.isArray(process.argv) ? process.argv[1] : undefined;
if (invoked && import.meta.url.endsWith(`/${invoked.split(/[\\/]/).pop()}`)) await main();
