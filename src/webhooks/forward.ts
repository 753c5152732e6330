import type { Handler } from './registry';

/**
 * Optional forwarding of each verified event to the merchant's own endpoint, re-signed the Standard
 * Webhooks way (https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. Unlike `Cko-Signature`, the
 * timestamp is signed, so the merchant can refuse stale or replayed deliveries.
 */

export interface ForwardConfig {
  url: string;
  secret: Uint8Array;
}

/** The forwarding target, or null when forwarding is not configured. */
export function forwardConfig(env: Env): ForwardConfig | null {
  const { WEBHOOK_FORWARD_URL: url, WEBHOOK_FORWARD_SECRET: secret } = env;
  if (!url || !secret) return null;
  return { url, secret: decodeSecret(secret) };
}

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes; anything else is used as UTF-8. */
export function decodeSecret(secret: string): Uint8Array {
  if (secret.startsWith('whsec_')) {
    const bin = atob(secret.slice('whsec_'.length));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  }
  return new TextEncoder().encode(secret);
}

/** The `webhook-signature` value for one message: `v1,<base64 HMAC-SHA256(id.timestamp.body)>`. */
export async function standardWebhookSignature(
  secret: Uint8Array,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${btoa(String.fromCharCode(...new Uint8Array(mac)))}`;
}

/** Builds the forwarded request: the delivered bytes, re-signed with a fresh timestamp. */
export async function buildForwardRequest(
  config: ForwardConfig,
  eventId: string,
  body: string,
  nowMs: number,
): Promise<Request> {
  const timestamp = Math.floor(nowMs / 1000);
  return new Request(config.url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': await standardWebhookSignature(config.secret, eventId, timestamp, body),
    },
  });
}

/**
 * The built-in `forward` handler. `webhook-id` is the Checkout.com event id, the same on every retry and
 * replay, so the merchant can deduplicate. A non-2xx answer throws, so the inbox retries with backoff.
 */
export const forwardHandler: Handler = async ({ env, event, raw }) => {
  const config = forwardConfig(env);
  if (!config) return;
  const res = await fetch(await buildForwardRequest(config, event.id, raw, Date.now()));
  await res.body?.cancel();
  if (!res.ok) throw new Error(`forward target answered ${res.status}`);
};
