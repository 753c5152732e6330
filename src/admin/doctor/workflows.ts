import type { CheckoutClient } from '../../checkout/contract';

/** What the doctor needs from one upstream workflow (facts §4.11: `GET /workflows/{id}`). */
export interface WorkflowFacts {
  id: string;
  active: boolean;
  /** Event types of its event condition; null when it has none (then it fires for every event). */
  events: Set<string> | null;
  /** Other conditions (entity, processing channel) that narrow which events reach it. */
  narrowedBy: string[];
  actions: WebhookActionFacts[];
}

export interface WebhookActionFacts {
  url: string;
  /** The signing key when the API shows it; `hidden` when it shows only the method; `none` when unsigned. */
  signature: { kind: 'shown'; key: string } | { kind: 'hidden' } | { kind: 'none' };
  headerNames: string[];
}

/** Most workflows looked at: the account has a handful; this bounds the calls when it does not. */
const MAX_WORKFLOWS = 50;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseAction(raw: unknown): WebhookActionFacts | null {
  if (!isRecord(raw) || raw.type !== 'webhook' || typeof raw.url !== 'string') return null;
  const sig = raw.signature;
  const signature: WebhookActionFacts['signature'] = !isRecord(sig)
    ? { kind: 'none' }
    : typeof sig.key === 'string' && sig.key.length > 0
      ? { kind: 'shown', key: sig.key }
      : { kind: 'hidden' };
  return { url: raw.url, signature, headerNames: isRecord(raw.headers) ? Object.keys(raw.headers) : [] };
}

export function parseWorkflow(raw: unknown): WorkflowFacts | null {
  if (!isRecord(raw) || typeof raw.id !== 'string') return null;
  let events: Set<string> | null = null;
  const narrowedBy: string[] = [];
  for (const c of Array.isArray(raw.conditions) ? raw.conditions : []) {
    if (!isRecord(c)) continue;
    if (c.type === 'event' && isRecord(c.events)) {
      events ??= new Set<string>();
      for (const names of Object.values(c.events))
        if (Array.isArray(names)) for (const n of names) if (typeof n === 'string') events.add(n);
    } else if (typeof c.type === 'string') {
      narrowedBy.push(c.type);
    }
  }
  const actions = (Array.isArray(raw.actions) ? raw.actions : [])
    .map(parseAction)
    .filter((a): a is WebhookActionFacts => a !== null);
  return { id: raw.id, active: raw.active !== false, events, narrowedBy, actions };
}

/** `https://x.example/webhooks/checkout/` and `https://X.example/webhooks/checkout` are one receiver. */
export function sameUrl(a: string, b: string): boolean {
  try {
    const norm = (s: string) => {
      const u = new URL(s);
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}${u.search}`;
    };
    return norm(a) === norm(b);
  } catch {
    return false;
  }
}

export type WorkflowListing =
  | { ok: true; workflows: WorkflowFacts[]; total: number }
  | { ok: false; reason: string };

/** Lists the account's workflows with their conditions and actions (`GET /workflows`, then each one). */
export async function listWorkflowFacts(client: CheckoutClient): Promise<WorkflowListing> {
  const describe = (err: unknown) =>
    typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
  let list: unknown;
  try {
    const res = await client.send('listWorkflows', { deadlineMs: 8_000 });
    if (res.status !== 200) return { ok: false, reason: `GET /workflows answered ${res.status}` };
    list = res.body;
  } catch (err) {
    return { ok: false, reason: `GET /workflows failed: ${describe(err)}` };
  }
  const ids = (isRecord(list) && Array.isArray(list.data) ? list.data : [])
    .map((w) => (isRecord(w) && typeof w.id === 'string' ? w.id : null))
    .filter((id): id is string => id !== null);
  const details = await Promise.all(
    ids.slice(0, MAX_WORKFLOWS).map(async (id) => {
      try {
        const res = await client.send('getWorkflow', { params: { id }, deadlineMs: 8_000 });
        return res.status === 200 ? parseWorkflow(res.body) : null;
      } catch {
        return null;
      }
    }),
  );
  return {
    ok: true,
    workflows: details.filter((w): w is WorkflowFacts => w !== null),
    total: ids.length,
  };
}
