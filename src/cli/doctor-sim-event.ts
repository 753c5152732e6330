import type { DoctorRow } from './doctor-table';

const CHECK = 'webhook_test_event';

export interface SimEventOptions {
  /** The simulator's base URL (Bollard's `CHECKOUT_API_BASE` when it is on loopback). */
  simUrl: string;
  simAdminKey: string;
  bollardUrl: string;
  adminToken: string;
  /** Bollard's receiver as the doctor computed it (`<public url>/webhooks/checkout`). */
  receiverUrl: string;
  fetch: typeof fetch;
  waitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface DeliveryLog {
  data?: { url?: string; status?: string; history?: { status_code?: number; error?: string }[] }[];
}

function sameUrl(a: string | undefined, b: string): boolean {
  const norm = (s: string) => s.replace(/\/+$/, '');
  return a !== undefined && norm(a) === norm(b);
}

/** Why the event did not show up, from the simulator's own deliveries log. */
async function diagnose(o: SimEventOptions, eventId: string): Promise<{ detail: string; fix: string }> {
  const res = await o
    .fetch(`${o.simUrl}/_sim/webhooks?event_id=${encodeURIComponent(eventId)}`, {
      headers: { Authorization: `Bearer ${o.simAdminKey}` },
    })
    .catch(() => null);
  const log = res?.ok ? ((await res.json().catch(() => ({}))) as DeliveryLog) : {};
  const ours = (log.data ?? []).filter((d) => sameUrl(d.url, o.receiverUrl));
  const last = ours.flatMap((d) => d.history ?? []).at(-1);
  if (ours.length === 0) {
    return {
      detail: `the simulator delivered ${eventId} to no workflow action for ${o.receiverUrl}`,
      fix: 'fix webhook_workflow first',
    };
  }
  if (last?.status_code === 401) {
    return {
      detail: `the simulator delivered ${eventId} and Bollard answered 401: the workflow signs with a key that is not in WEBHOOK_SIGNING_KEYS`,
      fix: "put the workflow action's signature key in WEBHOOK_SIGNING_KEYS (npm start registers with the dev key), or register again with npx bollard webhooks register",
    };
  }
  if (last?.error) {
    return {
      detail: `the simulator could not deliver ${eventId} to ${o.receiverUrl} (${last.error})`,
      fix: 'the workflow URL must reach this Bollard: check --url and the workflow action url',
    };
  }
  return {
    detail: `the simulator's delivery of ${eventId} got ${last?.status_code ?? 'no answer yet'}, but the event is not in Bollard's inbox`,
    fix: 'look at Bollard’s logs and GET /admin/quarantine, then run the doctor again',
  };
}

/**
 * The simulator has no `POST /workflows/{id}/test`, so a real event is triggered there (`POST
 * /_sim/trigger`, as `bollard trigger` does): a zero-amount card verification, which changes nothing
 * that matters. It travels the real path — workflow, `Cko-Signature`, Bollard's receiver — and must
 * then show up in Bollard's inbox (`GET /admin/events/{id}`) within a few seconds.
 */
export async function simTestEvent(o: SimEventOptions): Promise<DoctorRow> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let res: Response;
  try {
    res = await o.fetch(`${o.simUrl}/_sim/trigger`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${o.simAdminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'card_verified' }),
    });
  } catch {
    return {
      check: CHECK,
      ok: false,
      detail: `cannot reach the simulator at ${o.simUrl}`,
      fix: 'start it (npm start) or pass --sim URL',
    };
  }
  const body = (await res.json().catch(() => null)) as { events?: { id?: string; type?: string }[] } | null;
  const eventId = body?.events?.find((e) => e.type === 'card_verified')?.id;
  if (res.status !== 201 || !eventId) {
    return {
      check: CHECK,
      ok: false,
      detail: `the simulator refused POST /_sim/trigger (${res.status})`,
      fix: 'pass the simulator admin key with --sim-admin-key (or SIM_ADMIN_KEY)',
    };
  }
  const started = now();
  const deadline = started + (o.waitMs ?? 10_000);
  for (;;) {
    const got = await o
      .fetch(`${o.bollardUrl}/admin/events/${eventId}`, {
        headers: { Authorization: `Bearer ${o.adminToken}` },
      })
      .catch(() => null);
    if (got?.status === 200) {
      return {
        check: CHECK,
        ok: true,
        detail: `card_verified ${eventId}, triggered on the simulator, was delivered signed and recorded in Bollard's inbox after ${((now() - started) / 1000).toFixed(1)} s`,
        fix: null,
      };
    }
    if (now() >= deadline) break;
    await sleep(250);
  }
  const why = await diagnose(o, eventId);
  return { check: CHECK, ok: false, ...why };
}
