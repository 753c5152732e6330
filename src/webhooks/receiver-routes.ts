import { Hono } from 'hono';
import { type AppEnv, BollardError } from '../http';
import { safeEqual } from '../http/admin-auth';
import { readBodyCapped } from './body';
import { parseEnvelope } from './envelope';
import { CATALOGUE } from './inbox-do';
import { inboxShardCount, inboxShardName } from './shard';
import { verifyCkoSignature } from './signature';

/** Optional configuration, not declared in wrangler.toml (absent = not required). */
interface ReceiverEnv {
  /**
   * When set, every delivery must also carry `Authorization: <this value>` — the header configured on
   * the workflow's webhook action (facts §6) — in addition to a valid `Cko-Signature`.
   */
  WEBHOOK_AUTH_HEADER_VALUE?: string;
}

/**
 * The inbox object holding an event's subject (payment, dispute, or the event itself): the subject's
 * shard, `shard:<fnv1a(subject) mod WEBHOOK_INBOX_SHARDS>`, shared with the other subjects that hash there.
 */
export function subjectInbox(
  env: Env,
  subject: string,
): DurableObjectStub<import('./inbox-do').WebhookInbox> {
  return env.WEBHOOK_INBOX.getByName(inboxShardName(subject, inboxShardCount(env)));
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
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      text = '';
    }
    const parsed = text
      ? parseEnvelope(text)
      : ({ ok: false, status: 400, codes: ['body_not_json'], reason: 'the body is not UTF-8 JSON' } as const);
    if (!parsed.ok) {
      // Signed, so it really came from the workflow: keep it for an operator instead of dropping it.
      const quarantineId = await c.env.WEBHOOK_INBOX.getByName(CATALOGUE).quarantine({
        request_id: c.get('requestId'),
        reason: parsed.reason,
        codes: [...parsed.codes],
        body: text || `[${bytes.byteLength} bytes, not UTF-8]`,
      });
      log.warn('signed webhook delivery quarantined', { quarantine_id: quarantineId, codes: parsed.codes });
      throw new BollardError(parsed.status === 400 ? 'request_malformed' : 'request_invalid', {
        codes: [...parsed.codes],
        message: `${parsed.reason}; kept in quarantine as entry ${quarantineId}`,
      });
    }

    const event = parsed.event;
    const result = await subjectInbox(c.env, event.subject).record({
      id: event.id,
      type: event.type,
      created_on: event.created_on,
      subject: event.subject,
      subject_kind: event.subject_kind,
      known: event.known,
      body: text,
      data: JSON.stringify(event.data),
      request_id: c.get('requestId'),
    });
    if (!event.known)
      log.info('webhook event of an unknown type stored', { event_id: event.id, type: event.type });
    return c.json({ received: true, id: event.id, duplicate: !result.first }, 200);
  });

  return app;
}

async function checkAuthHeader(env: Env, presented: string | undefined): Promise<boolean> {
  const expected = (env as Env & ReceiverEnv).WEBHOOK_AUTH_HEADER_VALUE;
  if (!expected) return true;
  return presented !== undefined && (await safeEqual(presented, expected));
}
