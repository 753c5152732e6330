import { type CatalogEntry, fillPath } from '../catalog';
import { BollardError } from '../http/errors';
import { noteGovernorWait, noteUpstreamAnswer } from '../metrics/request-observer';
import { type AttemptOutcome, sendAttempt, sleepUnlessAborted } from './attempt';
import type {
  Admission,
  CallOptions,
  CheckoutClient,
  CheckoutClientOptions,
  Credential,
  UpstreamResponse,
} from './contract';
import { CallDeadline } from './deadline';
import { CheckoutConfigError, CheckoutError, checkoutErrorFromResponse } from './errors';
import { clientEntryByName } from './extra-entries';
import { baseForHost, type ParsedBase, parseBaseUrl } from './hosts';
import { IDEMPOTENCY_HEADER, idempotencyKeyFor, mayRetry } from './idempotency';
import { judgeAttempt } from './outcome';
import { backoffDelay, parseRetryAfter, resolveRetryPolicy } from './retry';

/** Default per-attempt timeout. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Default overall deadline of one logical call, across all its attempts. */
export const DEFAULT_DEADLINE_MS = 30_000;

/** Headers the client owns; a caller's copy is dropped rather than trusted. */
const OWNED_HEADERS = new Set(['authorization', IDEMPOTENCY_HEADER.toLowerCase(), 'content-type']);

/** `POST /tokens` is the one call made with the public key (facts §2), and the only one it may reach. */
export function usesPublicKey(entry: CatalogEntry): boolean {
  return entry.method === 'POST' && entry.path === '/tokens';
}

/** Resolves an entry given by value or by name (catalog rows and the client's extra entries). */
export function resolveEntry(entry: CatalogEntry | string): CatalogEntry {
  if (typeof entry !== 'string') return entry;
  const found = clientEntryByName(entry);
  if (!found) throw new TypeError(`unknown Checkout.com call "${entry}"`);
  return found;
}

function validateCredential(credential: Credential, publicKey: string | undefined): void {
  if (credential.kind === 'secret_key') {
    if (!credential.secretKey)
      throw new CheckoutConfigError('secret_key_missing', 'no Checkout.com secret key is configured');
    if (credential.secretKey.startsWith('pk_')) {
      throw new CheckoutConfigError(
        'secret_key_missing',
        'the configured Checkout.com secret key is a public key',
      );
    }
  }
  if (publicKey !== undefined && !publicKey.startsWith('pk_')) {
    // Catches a secret key pasted into the public-key setting: it would be sent to /tokens.
    throw new CheckoutConfigError(
      'public_key_invalid',
      'the configured Checkout.com public key is not a pk_ key',
    );
  }
}

function buildUrl(base: ParsedBase, entry: CatalogEntry, options: CallOptions): string {
  let path: string;
  try {
    path = fillPath(entry.path, options.params ?? {});
  } catch (err) {
    throw new BollardError('request_invalid', {
      codes: ['path_parameter_missing'],
      message: `${entry.name} needs every path parameter of ${entry.path}`,
      cause: err,
    });
  }
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) search.set(k, String(v));
  const qs = search.toString();
  return `${baseForHost(base, entry.host)}${path}${qs ? `?${qs}` : ''}`;
}

/**
 * The first `maxAttempts` failures are retried; waits for our own key's first attempt (the in-flight
 * refusal) do not count against that budget, only against the deadline, but are capped so that a
 * scripted upstream and a frozen test clock cannot loop forever.
 */
const MAX_IN_FLIGHT_WAITS = 40;

/** The last thing an attempt left behind, for the answer when the call ends without a final one. */
type LastAttempt =
  | { kind: 'none' }
  | { kind: 'response'; res: UpstreamResponse; complete: boolean }
  | { kind: 'network_error'; cause: unknown }
  | { kind: 'timeout' };

/**
 * The one client for every call Bollard makes to Checkout.com: auth (secret key, OAuth, or the public key
 * for `POST /tokens` only), host routing, `Cko-Idempotency-Key`, retries with full-jitter backoff under the
 * rate gate, an overall deadline with per-attempt timeouts inside it, and typed errors — including
 * `outcome_unknown` for a write that may have taken effect without an answer saying so.
 *
 * @example
 * const client = createCheckoutClient({ baseUrl: env.CHECKOUT_API_BASE, credential: { kind: 'secret_key', secretKey } });
 * const { body } = await client.call<PaymentDetails>('getPayment', { params: { id: 'pay_...' } });
 */
export function createCheckoutClient(options: CheckoutClientOptions): CheckoutClient {
  let base: ParsedBase;
  try {
    base = parseBaseUrl(options.baseUrl);
  } catch (err) {
    throw new CheckoutConfigError(
      'base_url_invalid',
      `CHECKOUT_API_BASE is not usable: ${err instanceof Error ? err.message : 'invalid'}`,
    );
  }
  validateCredential(options.credential, options.publicKey);
  const policy = resolveRetryPolicy(options.retry);
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const defaultDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const newKey = options.newIdempotencyKey ?? (() => crypto.randomUUID());
  const { credential, gate, logger } = options;

  /** The Authorization value for one attempt, and the OAuth token it carries (to invalidate on 401). */
  async function authorization(entry: CatalogEntry): Promise<{ header: string; token: string | null }> {
    if (usesPublicKey(entry)) {
      if (!options.publicKey) {
        throw new CheckoutConfigError(
          'public_key_missing',
          'POST /tokens needs the Checkout.com public key (CHECKOUT_PUBLIC_KEY); no secret is ever sent there',
        );
      }
      return { header: `Bearer ${options.publicKey}`, token: null };
    }
    if (credential.kind === 'secret_key') return { header: `Bearer ${credential.secretKey}`, token: null };
    const token = await credential.tokens.getToken();
    return { header: `Bearer ${token}`, token };
  }

  async function sendInternal(entryOrName: CatalogEntry | string, call: CallOptions = {}) {
    const entry = resolveEntry(entryOrName);
    const url = buildUrl(base, entry, call);
    const idempotencyKey = idempotencyKeyFor(entry, call.idempotencyKey, newKey);
    const retryable = mayRetry(entry, idempotencyKey);
    if (call.body !== undefined && entry.method === 'GET') {
      // fetch refuses a GET with a body; failing here keeps it from passing for a network error.
      throw new TypeError(`${entry.name} is a GET and takes no body`);
    }
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const baseHeaders = new Headers({ accept: 'application/json' });
    for (const [k, v] of Object.entries(call.headers ?? {})) {
      if (!OWNED_HEADERS.has(k.toLowerCase())) baseHeaders.set(k, v);
    }
    if (body !== undefined) baseHeaders.set('content-type', 'application/json');
    if (idempotencyKey !== null) baseHeaders.set(IDEMPOTENCY_HEADER, idempotencyKey);

    const deadlineMs = call.deadlineMs ?? defaultDeadlineMs;
    const deadline = new CallDeadline(deadlineMs, now, call.signal);
    const isWrite = entry.access === 'write';
    let attempts = 0;
    let failures = 0;
    let inFlightWaits = 0;
    let refreshedToken = false;
    // Whether any attempt of this write may have been processed upstream without Bollard seeing how.
    let maybeProcessed = false;
    let last: LastAttempt = { kind: 'none' };

    /** The call ends without a final answer: say what is known, and no more. */
    const giveUp = (why: string): UpstreamResponse => {
      logger?.warn('checkout call gave up', {
        call: entry.name,
        attempts,
        why,
        last: last.kind === 'response' ? last.res.status : last.kind,
      });
      const details = {
        entry,
        attempts,
        idempotencyKey,
        upstreamStatus: last.kind === 'response' ? last.res.status : null,
        requestId: last.kind === 'response' ? last.res.requestId : null,
        errorType: null,
        errorCodes: [],
      };
      if (isWrite && maybeProcessed) {
        throw new CheckoutError('outcome_unknown', { ...details, timeoutMs: deadlineMs });
      }
      switch (last.kind) {
        case 'response':
          if (last.complete) return last.res;
          throw new CheckoutError('unexpected_response', details);
        case 'network_error':
          throw new CheckoutError('network_error', { ...details, cause: last.cause });
        case 'timeout':
          throw new CheckoutError('timeout', { ...details, timeoutMs: Math.min(timeoutMs, deadlineMs) });
        case 'none':
          throw new BollardError('upstream_unavailable', {
            codes: ['upstream_deadline_exceeded'],
            message: `${entry.name} was not sent: its ${deadlineMs} ms deadline passed while waiting for the rate budget or a token`,
            retryAfter: 1,
            ...(idempotencyKey === null ? {} : { idempotencyKey }),
          });
      }
    };

    try {
      for (;;) {
        if (deadline.passed()) return giveUp('deadline');
        let auth: { header: string; token: string | null };
        let admission: Admission | undefined;
        try {
          // Every attempt, retries included, passes the account-wide governor, within the deadline.
          const gateFrom = now();
          // The wait is the request's (metrics: governor_wait_ms), shed or admitted.
          admission = await gate
            ?.acquire(entry.access, deadline.signal)
            .finally(() => noteGovernorWait(now() - gateFrom));
          auth = await deadline.race(authorization(entry));
        } catch (err) {
          call.signal?.throwIfAborted();
          if (deadline.passed()) return giveUp('deadline');
          // The gate shed the call before sending: nothing of this attempt reached Checkout.com, but an
          // earlier attempt may have, and then a refusal now would be a false "nothing happened".
          if (isWrite && maybeProcessed) return giveUp('gate');
          throw err;
        }
        const headers = new Headers(baseHeaders);
        headers.set('authorization', auth.header);
        attempts++;
        admission?.sent();
        const outcome: AttemptOutcome = await sendAttempt(
          fetchFn,
          { url, method: entry.method, headers, body },
          Math.max(1, Math.min(timeoutMs, deadline.remaining())),
          call.signal,
        ).finally(() => admission?.ended());
        noteUpstreamAnswer(outcome.kind === 'response' ? outcome.status : null);
        let delay: number;
        if (outcome.kind === 'response') {
          const res: UpstreamResponse = {
            status: outcome.status,
            headers: outcome.headers,
            body: outcome.malformed ? null : outcome.body,
            requestId: outcome.headers.get('cko-request-id') ?? readRequestId(outcome.body),
            attempts,
            idempotencyKey,
          };
          // A 401 to an OAuth call usually means a token revoked or expired early: drop it everywhere and
          // try once more with a fresh one. Nothing was processed, so this is safe even for a keyless write.
          if (
            outcome.status === 401 &&
            auth.token !== null &&
            !refreshedToken &&
            credential.kind === 'oauth'
          ) {
            await deadline.race(credential.tokens.invalidate(auth.token)).catch(() => undefined);
            refreshedToken = true;
            continue;
          }
          const verdict = judgeAttempt(entry, outcome, idempotencyKey !== null);
          // A non-2xx can be passed on as it is (reads); a 2xx only with the body the call answers.
          const isSuccess = outcome.status >= 200 && outcome.status <= 299;
          last = { kind: 'response', res, complete: verdict.kind === 'final' || !isSuccess };
          if (verdict.kind === 'final') return res;
          const retryAfterMs = parseRetryAfter(outcome.headers.get('retry-after'), now());
          if (verdict.kind === 'in_flight') {
            // Our key's first attempt is still running upstream: its outcome is the call's outcome.
            maybeProcessed = true;
            if (++inFlightWaits > MAX_IN_FLIGHT_WAITS) return giveUp('in_flight');
            delay = Math.max(50, backoffDelay(Math.min(inFlightWaits - 1, 5), policy, random));
          } else {
            if (verdict.kind === 'ambiguous') maybeProcessed ||= isWrite;
            if (outcome.status === 429) {
              gate?.reportThrottled(
                entry.access,
                retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
              );
            }
            failures++;
            if (!retryable || failures >= policy.maxAttempts) return giveUp('attempts');
            if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs)
              return giveUp('retry_after');
            delay = retryAfterMs ?? backoffDelay(failures - 1, policy, random);
          }
          logger?.warn('checkout call retrying', {
            call: entry.name,
            attempt: attempts,
            status: outcome.status,
            verdict: verdict.kind,
            upstream_request_id: res.requestId,
            delay_ms: delay,
          });
        } else {
          last = outcome;
          maybeProcessed ||= isWrite;
          failures++;
          if (!retryable || failures >= policy.maxAttempts) return giveUp('attempts');
          delay = backoffDelay(failures - 1, policy, random);
          logger?.warn('checkout call retrying', {
            call: entry.name,
            attempt: attempts,
            outcome: outcome.kind,
            delay_ms: delay,
          });
        }
        // A wait that would end past the deadline is not started: the answer is the same, sooner.
        if (delay >= deadline.remaining()) return giveUp('deadline');
        try {
          await sleepUnlessAborted(sleep, delay, deadline.signal);
        } catch (err) {
          call.signal?.throwIfAborted();
          if (deadline.passed()) return giveUp('deadline');
          throw err;
        }
      }
    } finally {
      deadline.dispose();
    }
  }

  return {
    send: sendInternal,
    async call<T = unknown>(entryOrName: CatalogEntry | string, call?: CallOptions) {
      const entry = resolveEntry(entryOrName);
      const res = await sendInternal(entry, call);
      if (res.status < 200 || res.status > 299) {
        throw checkoutErrorFromResponse(entry, res, parseRetryAfter(res.headers.get('retry-after'), now()));
      }
      return res as UpstreamResponse & { body: T };
    },
  };
}

function readRequestId(body: unknown): string | null {
  if (body && typeof body === 'object' && 'request_id' in body) {
    const id = (body as { request_id: unknown }).request_id;
    if (typeof id === 'string') return id;
  }
  return null;
}
