import type { DoctorRow } from './doctor-table';

const CHECK = 'webhook_test_event';

export interface SimDiagnosisOptions {
  /** The simulator's base URL (Bollard's `CHECKOUT_API_BASE` when it is on loopback, or `--sim`). */
  simUrl: string;
  simAdminKey: string;
  /** The workflow the test event was sent through. */
  workflowId: string;
  /** Bollard's receiver as the doctor computed it (`<public url>/webhooks/checkout`). */
  receiverUrl: string;
  fetch: typeof fetch;
}

interface DeliveryLog {
  data?: {
    event_id?: string;
    url?: string;
    history?: { status_code?: number; error?: string }[];
  }[];
}

function sameUrl(a: string | undefined, b: string): boolean {
  const norm = (s: string) => s.replace(/\/+$/, '');
  return a !== undefined && norm(a) === norm(b);
}

/**
 * Why a test event sent through `POST /workflows/{id}/test` did not reach Bollard's inbox, from the
 * simulator's deliveries log (`GET /_sim/webhooks`, the workflow's latest `test` delivery to the
 * receiver). The real API keeps that log per event (`GET /workflows/events/{id}/actions/{wfa}`), and its
 * test endpoint answers no event id, so only the simulator can be asked. Null when the log cannot be read
 * or holds no such delivery: the server's own row stands then.
 */
export async function diagnoseSimTestDelivery(o: SimDiagnosisOptions): Promise<DoctorRow | null> {
  const query = new URLSearchParams({ workflow_id: o.workflowId, kind: 'test', limit: '20' });
  const res = await o
    .fetch(`${o.simUrl}/_sim/webhooks?${query}`, {
      headers: { Authorization: `Bearer ${o.simAdminKey}` },
      signal: AbortSignal.timeout(10_000),
    })
    .catch(() => null);
  const log = res?.ok ? ((await res.json().catch(() => ({}))) as DeliveryLog) : {};
  const latest = (log.data ?? []).filter((d) => sameUrl(d.url, o.receiverUrl)).at(-1);
  if (!latest?.event_id) return null;
  const eventId = latest.event_id;
  const last = (latest.history ?? []).at(-1);
  const row = (detail: string, fix: string): DoctorRow => ({ check: CHECK, ok: false, detail, fix });
  if (last?.status_code === 401) {
    return row(
      `the simulator delivered ${eventId} and Bollard answered 401: the workflow signs with a key that is not in WEBHOOK_SIGNING_KEYS`,
      "put the workflow action's signature key in WEBHOOK_SIGNING_KEYS (npm start registers with the dev key), or register again with npx bollard webhooks register",
    );
  }
  if (last?.error) {
    return row(
      `the simulator could not deliver ${eventId} to ${o.receiverUrl} (${last.error})`,
      'the workflow URL must reach this Bollard: check --url and the workflow action url',
    );
  }
  return row(
    `the simulator's delivery of ${eventId} got ${last?.status_code ?? 'no answer yet'}, but the event is not in Bollard's inbox`,
    'look at Bollard’s logs and GET /admin/quarantine, then run the doctor again',
  );
}
