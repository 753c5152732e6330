#!/usr/bin/env node
// Re-verifies a Bollard audit export offline (Node 18+, no dependencies).
//
//   curl -s https://<host>/admin/audit/export -H "authorization: Bearer $ADMIN_TOKEN" > audit.ndjson
//   node docs/verify-audit.mjs audit.ndjson          # or: ... | node docs/verify-audit.mjs
//
// Each line is one chain entry. For every entry:
//   hash = sha256_hex( prev_hash + "\n" + JSON.stringify([ the HASHED_FIELDS values, in this order ]) )
// (UTF-8; JSON.stringify as JavaScript writes it: null for absent values, integers without decimals,
// strings with JSON escapes); for an entry of kind "attempts" the array goes on with the ATTEMPT_FIELDS
// values, for an entry of kind "approval" with the APPROVAL_FIELDS values. Within a chain (`chain`: the agent id or `anonymous`), entries are numbered 1, 2, 3, … and each
// entry's prev_hash is the previous entry's hash; entry 1's prev_hash is 64 zeros.
// A line of kind "checkpoint" is not an entry: it says the chain's entries up to `seq` were pruned
// (retention) and entry seq + 1 links to `hash`; the chain is verified from there, as from a genesis.
// Exit code 0 when every chain verifies, 1 otherwise. docs/agents.md, "The audit log", says more.
import { createHash } from 'node:crypto';

/** The hashed fields, in order. Kept equal to `HASHED_FIELDS` in src/agents/model/audit-entry.ts by a test. */
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

/** Hashed after HASHED_FIELDS for `kind: "attempts"` entries only. Kept equal to `ATTEMPT_FIELDS` too. */
export const ATTEMPT_FIELDS = ['source', 'key_shape', 'attempts', 'last_at_ms'];

/** Hashed after HASHED_FIELDS for `kind: "approval"` entries only. Kept equal to `APPROVAL_FIELDS` too. */
export const APPROVAL_FIELDS = [
  'approval_id',
  'request_hash',
  'approver_id',
  'approver_name',
  'approver_credential_id',
  'approver_via',
  'decline_reason',
];

export const GENESIS_HASH = '0'.repeat(64);

export function entryHash(prevHash, entry) {
  const fields =
    entry.kind === 'attempts'
      ? [...HASHED_FIELDS, ...ATTEMPT_FIELDS]
      : entry.kind === 'approval'
        ? [...HASHED_FIELDS, ...APPROVAL_FIELDS]
        : HASHED_FIELDS;
  const canonical = JSON.stringify(fields.map((f) => (entry[f] === undefined ? null : entry[f])));
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** The entry after `prev` (an entry, or a checkpoint line), or why `e` cannot be it. */
function linkProblem(prev, e, complete) {
  if (e.seq === prev.seq) return { seq: e.seq, why: 'duplicate seq' };
  if (e.seq === prev.seq + 1 && e.prev_hash !== prev.hash)
    return { seq: e.seq, why: 'prev_hash is not the previous entry hash' };
  if (complete && e.seq !== prev.seq + 1) return { seq: prev.seq + 1, why: 'entry missing' };
  return null;
}

/**
 * Verifies NDJSON text. Returns one result per chain: `valid`, the entries checked, the head reached, the
 * first bad seq and why, and where the chain was checked from: its genesis (`from_genesis`), a checkpoint
 * line (`from_checkpoint`: the oldest entries were pruned; every entry after it must be present and link
 * to it), or neither — an export filtered by time, decision or area holds parts of chains: each entry's
 * own hash is still checked, links only between consecutive entries. Entries at or before a checkpoint
 * (an export racing a pruning pass) are checked on their own, and the one at the checkpoint must have its
 * hash.
 */
export function verifyNdjson(text) {
  const chains = new Map();
  const checkpoints = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line);
    if (entry.kind === 'checkpoint') {
      const known = checkpoints.get(entry.chain);
      if (!known || entry.seq > known.seq) checkpoints.set(entry.chain, entry);
      if (!chains.has(entry.chain)) chains.set(entry.chain, []);
      continue;
    }
    const list = chains.get(entry.chain) ?? [];
    list.push(entry);
    chains.set(entry.chain, list);
  }
  const results = [];
  for (const [chain, entries] of [...chains.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    entries.sort((a, b) => a.seq - b.seq);
    const checkpoint = checkpoints.get(chain) ?? null;
    const fromGenesis = checkpoint === null && entries[0]?.seq === 1;
    let prev = null;
    let problem = null;
    if (
      checkpoint &&
      (!Number.isInteger(checkpoint.seq) || checkpoint.seq < 1 || !/^[0-9a-f]{64}$/.test(checkpoint.hash))
    )
      problem = { seq: checkpoint.seq, why: 'malformed checkpoint line' };
    else if (checkpoint && checkpoint.count !== undefined && checkpoint.count !== checkpoint.seq)
      problem = { seq: checkpoint.seq, why: 'checkpoint count is not its seq' };
    for (const e of problem ? [] : entries) {
      const after = checkpoint !== null && e.seq > checkpoint.seq;
      // The first entry past the checkpoint continues it; entries before it continue each other.
      const from = after && (prev === null || prev.seq <= checkpoint.seq) ? checkpoint : prev;
      if (e.seq === 1 && e.prev_hash !== GENESIS_HASH)
        problem = { seq: e.seq, why: 'first entry does not start from the genesis hash' };
      else if (from) problem = linkProblem(from, e, fromGenesis || after);
      if (!problem && entryHash(e.prev_hash, e) !== e.hash)
        problem = { seq: e.seq, why: 'hash does not match the fields' };
      if (!problem && checkpoint && e.seq === checkpoint.seq && e.hash !== checkpoint.hash)
        problem = { seq: e.seq, why: 'the entry at the checkpoint does not have its hash' };
      if (problem) break;
      prev = e;
    }
    const head = prev && (!checkpoint || prev.seq > checkpoint.seq) ? prev : checkpoint;
    results.push({
      chain,
      valid: problem === null,
      entries: entries.length,
      from_genesis: fromGenesis,
      from_checkpoint: checkpoint && { seq: checkpoint.seq, hash: checkpoint.hash },
      head: head ? { seq: head.seq, hash: head.hash } : null,
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
    const where = r.from_genesis
      ? 'from genesis'
      : r.from_checkpoint
        ? `from checkpoint ${r.from_checkpoint.seq} (older entries pruned)`
        : 'partial (no genesis in the export)';
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
