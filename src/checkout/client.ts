import { type CatalogEntry, fillPath } from '../catalog';
import { BollardError } from '../http/errors';
import { type AttemptOutcome, sendAttempt, sleepUnlessAborted } from './attempt';
import type {
  CallOptions,
  CheckoutClient,
  CheckoutClientOptions,
  Credential,
  UpstreamResponse,
} from './contract';
import { CheckoutConfigError, CheckoutError, checkoutErrorFromResponse } from './errors';
import { clientEntryByName } from './extra-entries';
import { baseForHost, type ParsedBase, parseBaseUrl } from './hosts';
import { IDEMPOTENCY_HEADER, idempotencyKeyFor, mayRetry } from './idempotency';
import { backoffDelay, isRetryableStatus, parseRetryAfter, resolveRetryPolicy } from './retry';

/** Default per-attempt timeout. */
export const DEFAULT_TIMEOUT_MS = 15_000;

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

interface SendResult {
  res: UpstreamResponse;
  /** A non-empty body that was not JSON. */
  malformed: boolean;
}

/**
 * The one client for every call Bollard makes to Checkout.com: auth (secret key, OAuth, or the public key
 * for `POST /tokens` only), host routing, `Cko-Idempotency-Key`, retries with full-jitter backoff under the
 * rate gate, per-attempt timeouts, and typed errors.
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

  async function sendInternal(
    entryOrName: CatalogEntry | string,
    call: CallOptions = {},
  ): Promise<SendResult> {
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

    let attempts = 0;
    let retries = 0;
    let refreshedToken = false;
    for (;;) {
      call.signal?.throwIfAborted();
      // Every attempt, retries included, passes the account-wide governor.
      await gate?.acquire(entry.access, call.signal);
      const auth = await authorization(entry);
      const headers = new Headers(baseHeaders);
      headers.set('authorization', auth.header);
      attempts++;
      const outcome: AttemptOutcome = await sendAttempt(
        fetchFn,
        { url, method: entry.method, headers, body },
        timeoutMs,
        call.signal,
      );
      const lastAllowed = attempts >= policy.maxAttempts + (refreshedToken ? 1 : 0);
      let delay: number;
      if (outcome.kind === 'response') {
        const res: UpstreamResponse = {
          status: outcome.status,
          headers: outcome.headers,
          body: outcome.body,
          requestId: outcome.headers.get('cko-request-id') ?? readRequestId(outcome.body),
          attempts,
          idempotencyKey,
        };
        // A 401 to an OAuth call usually means a token revoked or expired early: drop it everywhere and
        // try once more with a fresh one. Nothing was processed, so this is safe even for a keyless write.
        if (outcome.status === 401 && auth.token !== null && !refreshedToken && credential.kind === 'oauth') {
          await credential.tokens.invalidate(auth.token);
          refreshedToken = true;
          continue;
        }
        const retryAfterMs = parseRetryAfter(outcome.headers.get('retry-after'), now());
        if (outcome.status === 429) {
          gate?.reportThrottled(entry.access, retryAfterMs === undefined ? undefined : retryAfterMs / 1000);
        }
        const done =
          !isRetryableStatus(outcome.status) ||
          !retryable ||
          lastAllowed ||
          (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs);
        if (done) return { res, malformed: outcome.malformed };
        delay = retryAfterMs ?? backoffDelay(retries, policy, random);
        logger?.warn('checkout call retrying', {
          call: entry.name,
          attempt: attempts,
          status: outcome.status,
          upstream_request_id: res.requestId,
          delay_ms: delay,
        });
      } else {
        if (!retryable || lastAllowed) {
          logger?.warn('checkout call failed', { call: entry.name, attempts, outcome: outcome.kind });
          throw new CheckoutError(outcome.kind, {
            entry,
            upstreamStatus: null,
            requestId: null,
            errorType: null,
            errorCodes: [],
            attempts,
            idempotencyKey,
            timeoutMs,
            cause: outcome.kind === 'network_error' ? outcome.cause : undefined,
          });
        }
        delay = backoffDelay(retries, policy, random);
        logger?.warn('checkout call retrying', {
          call: entry.name,
          attempt: attempts,
          outcome: outcome.kind,
          delay_ms: delay,
        });
      }
      retries++;
      await sleepUnlessAborted(sleep, delay, call.signal);
    }
  }

  return {
    async send(entry, call) {
      return (await sendInternal(entry, call)).res;
    },
    async call<T = unknown>(entryOrName: CatalogEntry | string, call?: CallOptions) {
      const entry = resolveEntry(entryOrName);
      const { res, malformed } = await sendInternal(entry, call);
      if (res.status < 200 || res.status > 299) {
        throw checkoutErrorFromResponse(entry, res, parseRetryAfter(res.headers.get('retry-after'), now()));
      }
      if (malformed) {
        throw new CheckoutError('unexpected_response', {
          entry,
          upstreamStatus: res.status,
          requestId: res.requestId,
          errorType: null,
          errorCodes: [],
          attempts: res.attempts,
          idempotencyKey: res.idempotencyKey,
        });
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
