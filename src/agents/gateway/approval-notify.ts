import type { Logger } from '../../http';
import type { ApprovalView } from '../model/approval-view';

/**
 * The new-approval notification (docs/agents.md, "Approvals"): when `APPROVAL_NOTIFY_URL` is set, each new
 * approval is POSTed there as `{ type: "approval.requested", approval, console_url }` (the operators' view:
 * card data redacted, never the agent key), signed `Bollard-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256(APPROVAL_NOTIFY_SECRET, "<t>.<body>")>` — the timestamp is signed, so a receiver can refuse
 * stale or replayed deliveries. Sent after the agent's answer (`waitUntil`), one attempt with a 5 s bound:
 * it is a nudge; the approvals list is the record.
 */

export const NOTIFY_TIMEOUT_MS = 5_000;

export interface ApprovalNotification {
  type: 'approval.requested';
  approval: ApprovalView;
  /** The console's page for this approval. */
  console_url: string;
}

/** The `Bollard-Signature` value for a body sent at `timestamp` (unix seconds). */
export async function notifySignature(secret: string, timestamp: number, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(`${timestamp}.${body}`)));
  return `t=${timestamp},v1=${Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The signed request, or null when notifications are off (no URL) or cannot be signed (no secret). */
export async function notifyRequest(
  env: Env,
  notification: ApprovalNotification,
  nowMs: number,
): Promise<Request | null> {
  const url = env.APPROVAL_NOTIFY_URL;
  const secret = env.APPROVAL_NOTIFY_SECRET;
  if (!url || !secret) return null;
  const body = JSON.stringify(notification);
  const timestamp = Math.floor(nowMs / 1000);
  return new Request(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'bollard-signature': await notifySignature(secret, timestamp, body),
    },
  });
}

/**
 * Sends the notification (after the answer). Never throws: a failure is logged without the URL, the
 * secret or the body. Without a secret nothing is sent (the doctor fails that configuration).
 */
export async function notifyApproval(
  env: Env,
  log: Logger,
  notification: ApprovalNotification,
): Promise<void> {
  try {
    const request = await notifyRequest(env, notification, Date.now());
    if (!request) {
      if (env.APPROVAL_NOTIFY_URL)
        log.warn('approval notification not sent: APPROVAL_NOTIFY_SECRET is not set');
      return;
    }
    // Tests bind a recording sink; every deployment sends with the runtime's fetch.
    const sink = env.APPROVAL_NOTIFY_SINK;
    const send = sink ? (r: Request) => sink.fetch(r) : (r: Request) => fetch(r);
    const res = await send(new Request(request, { signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS) }));
    await res.body?.cancel();
    if (!res.ok)
      log.warn('approval notification refused', {
        status: res.status,
        approval_id: notification.approval.id,
      });
  } catch (err) {
    log.warn('approval notification failed', {
      approval_id: notification.approval.id,
      error: err instanceof Error ? err.name : 'error',
    });
  }
}
