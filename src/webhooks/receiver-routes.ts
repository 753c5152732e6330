import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { safeEqual } from '../http/safe-equal';
import { withTimeout } from '../http/timeout';
import { readBodyCapped } from './body';
import { parseEnvelope } from './envelope';
import { verifyCkoSignature } from './signature';
import { inboxCatalogue, subjectInbox } from './stubs';

/** Strict UTF-8 (a malformed byte is an error, not U+FFFD). Reusable: each `decode` call starts afresh. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * How long a delivery waits for its inbox object (the subject's shard, or the catalogue for quarantine)
 * to store it. Past that, or when the object fails, the answer is 503: not acknowledged. Checkout.com
 * delivers it again on its schedule (facts §6), and if the store did land late, the redelivery is a
 * duplicate of it. A `200` is only ever given for a delivery that is stored.
 */
export const INBOX_DEADLINE_MS = 5_000;

const inboxUnavailable = (cause?: unknown) =>
  new BollardError('upstream_unavailable', {
    codes: ['webhook_inbox_unavailable'],
    message: 'the delivery could not be stored in time; it is not acknowledged, deliver it again',
    retryAfter: 1,
    ...(cause !== undefined ? { cause } : {}),
  });

/** `work` (a store in an inbox object) within INBOX_DEADLINE_MS, else `inboxUnavailable`. */
async function stored<T>(work: Promise<T>): Promise<T> {
  try {
    return await withTimeout(work, INBOX_DEADLINE_MS, () => inboxUnavailable());
  } catch (err) {
    throw err instanceof BollardError ? err : inboxUnavailable(err);
  }
}

const unauthorized = () =>
  new BollardError('unauthorized', {
    codes: ['signature_invalid'],
    message: 'the delivery is not signed with a configured key',
  });

/**
 * `POST /webhooks/checkout`: verify, validate, record durably, acknowledge. Handlers run afterwards in
 * the subject's inbox (alarm), so the answer waits only for verification and one durable write.
 */
export function receiverRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/webhooks/checkout', async (c) => {
    const log = c.get('log');
    const bytes = await readBodyCapped(c.req.raw);
    const [signature, authorized] = await Promise.all([
      verifyCkoSignature(bytes, c.req.header('cko-signature'), c.env.WEBHOOK_SIGNING_KEYS),
      checkAuthHeader(c.env, c.req.header('authorization')),
    ]);
    if (!signature.ok || !authorized) {
      // The fact and the request id only: nothing about the body, the header or the keys.
      log.warn('webhook delivery rejected: not authenticated');
      throw unauthorized();
    }

    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      text = '';
    }
    const parsed = text
      ? parseEnvelope(text)
      : ({ ok: false, status: 400, codes: ['body_not_json'], reason: 'the body is not UTF-8 JSON' } as const);
    if (!parsed.ok) {
      // Signed, so it really came from the workflow: keep it for an operator instead of dropping it, and
      // acknowledge it. Checkout.com retries every non-2xx on its schedule (facts §6), so a 4xx would bring
      // the same bytes back eight more times, to be quarantined again; one entry per distinct body counts
      // them instead. docs/webhooks.md says how an operator re-drives them once a release accepts the shape.
      const kept = await stored(
        inboxCatalogue(c.env).quarantine({
          request_id: c.get('requestId'),
          reason: parsed.reason,
          codes: [...parsed.codes],
          body: text || `[${bytes.byteLength} bytes, not UTF-8]`,
          size: bytes.byteLength,
          digest: await sha256Hex(bytes),
        }),
      );
      log.warn('signed webhook delivery quarantined', {
        quarantine_id: kept.id,
        deliveries: kept.deliveries,
        codes: parsed.codes,
      });
      return c.json(
        {
          received: false,
          quarantined: true,
          quarantine_id: kept.id,
          error_codes: [...parsed.codes],
          message: `${parsed.reason}; kept in quarantine as entry ${kept.id}`,
        },
        200,
      );
    }

    const event = parsed.event;
    const result = await stored(
      subjectInbox(c.env, event.subject).record({
        id: event.id,
        type: event.type,
        created_on: event.created_on,
        subject: event.subject,
        subject_kind: event.subject_kind,
        known: event.known,
        body: text,
        data: JSON.stringify(event.data),
        request_id: c.get('requestId'),
      }),
    );
    if (!event.known)
      log.info('webhook event of an unknown type stored', { event_id: event.id, type: event.type });
    return c.json({ received: true, id: event.id, duplicate: !result.first }, 200);
  });

  // Only POST is a delivery; say so rather than 404 (RFC 9110 §15.5.6).
  app.on(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], '/webhooks/checkout', () => {
    throw new BollardError('method_not_allowed', {
      codes: ['method_not_allowed'],
      message: 'webhook deliveries are POSTed',
      allow: ['POST'],
    });
  });

  return app;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The configured `Authorization` value, compared with the scheme name case-insensitive (RFC 9110 §11.1):
 * `bearer x` matches a configured `Bearer x`; the credential itself is compared exactly, in constant time.
 */
async function checkAuthHeader(env: Env, presented: string | undefined): Promise<boolean> {
  const expected = env.WEBHOOK_AUTH_HEADER_VALUE;
  if (!expected) return true;
  if (presented === undefined) return false;
  return safeEqual(normaliseScheme(presented), normaliseScheme(expected));
}

function normaliseScheme(value: string): string {
  const m = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +(.*)$/.exec(value.trim());
  return m ? `${(m[1] as string).toLowerCase()} ${m[2] as string}` : value;
}
