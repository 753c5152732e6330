import { createHash } from 'node:crypto';
import type { Logger } from '../../http';
import { type CallProof, RECEIPT_TYP, type ReceiptInput, receiptClaims } from './receipt-claims';
import { issuer, loadSigner, signCompact } from './signer';

/** The response header that carries a REST answer's receipt. */
export const RECEIPT_HEADER = 'bollard-receipt';
/** The key of an MCP tool result's `_meta` that carries its receipt. */
export const RECEIPT_META_KEY = 'bollard/receipt';

/** Lowercase hex SHA-256 of a string's UTF-8 bytes (or of bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Logged once per isolate: a deployment without a key answers without receipts (the doctor fails). */
let warnedMissing = false;

/**
 * Signs the receipt of one answer (`ReceiptInput` minus the two body hashes, which are computed here from
 * the exact text). No Durable Object round trip: the key is the isolate's, the rest is in hand. Null when
 * no key is configured or signing failed: the answer goes out without a receipt, never delayed or changed.
 */
export async function issueReceipt(
  env: Env,
  input: Omit<ReceiptInput, 'request_sha256' | 'response_sha256'>,
  requestBody: string,
  responseBody: string,
  log: Logger,
): Promise<string | null> {
  try {
    const state = await loadSigner(env);
    if (state.kind !== 'ok') {
      if (!warnedMissing) {
        warnedMissing = true;
        log.error('receipts are not signed', {
          reason: state.kind === 'missing' ? 'RECEIPT_SIGNING_KEY is not set' : state.problem,
        });
      }
      return null;
    }
    const { signer } = state;
    const claims = receiptClaims(
      { ...input, request_sha256: sha256Hex(requestBody), response_sha256: sha256Hex(responseBody) },
      { iss: issuer(env), iatS: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), kid: signer.kid },
    );
    return await signCompact(signer, claims, RECEIPT_TYP);
  } catch (err) {
    log.error('receipt signing failed', { error: err });
    return null;
  }
}

/** One answer as a surface sends it: what `receiptForAnswer` needs besides the outcome's proof. */
export interface Answer {
  /** The outcome's `proof`; absent for answers no chain records (they carry no receipt). */
  proof: CallProof | undefined;
  requestId: string;
  channel: 'rest' | 'mcp';
  /** The catalog entry (name and path template), or null when no method has the path. */
  entry: { name: string; path: string } | null;
  httpMethod: string;
  /** Path and query as asked, without the surface's prefix (`/payments?limit=1`). */
  target: string;
  idempotencyKey: string | null;
  upstreamRequestId: string | null;
  status: number;
  requestBody: string;
  responseBody: string;
}

/** The receipt of one answer, or null when it has no proof (or no key signs). */
export function receiptForAnswer(env: Env, log: Logger, a: Answer): Promise<string | null> {
  if (!a.proof) return Promise.resolve(null);
  return issueReceipt(
    env,
    {
      proof: a.proof,
      request_id: a.requestId,
      channel: a.channel,
      method: a.entry?.name ?? null,
      http_method: a.httpMethod,
      path: a.target,
      path_template: a.entry?.path ?? null,
      idempotency_key: a.idempotencyKey,
      upstream_request_id: a.upstreamRequestId,
      status: a.status,
    },
    a.requestBody,
    a.responseBody,
    log,
  );
}

/** An MCP tool call's request target: its path with the arguments filled in, and its query. */
export function toolTarget(
  template: string,
  params: Readonly<Record<string, string>>,
  query?: Readonly<Record<string, string>>,
): string {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const search = query && Object.keys(query).length ? `?${new URLSearchParams(query).toString()}` : '';
  return `${path}${search}`;
}
